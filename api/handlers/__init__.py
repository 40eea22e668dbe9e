"""One handler per IAM and STS action: botocore input dict -> operation -> output dict.

A handler takes the acting principal and the parsed input (``parse_query``'s
dict, keyed by the model's member names) and returns the output dict that
``serialize_response`` writes (or None for actions without output).
Actions absent from these tables answer ``InvalidAction``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.principal import Principal
from api.handlers.iam import HANDLERS as IAM_HANDLERS
from api.handlers.sts import HANDLERS as STS_HANDLERS

Handler = Callable[[Principal, dict[str, Any]], dict[str, Any] | None]

HANDLERS: dict[str, dict[str, Handler]] = {"iam": IAM_HANDLERS, "sts": STS_HANDLERS}
