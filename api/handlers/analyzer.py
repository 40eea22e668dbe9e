"""IAM Access Analyzer actions (REST-JSON protocol): botocore input dict -> operation -> output dict."""

from __future__ import annotations

from typing import Any

__all__ = ["HANDLERS"]

HANDLERS: dict[str, Any] = {}
