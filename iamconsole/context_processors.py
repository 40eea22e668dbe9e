from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def console(request: HttpRequest) -> dict[str, Any]:
    """The signed-in identity and account for the header, when there is one."""
    principal = getattr(request, "principal", None)
    return {"principal": principal}
