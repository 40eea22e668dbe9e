"""Access Analyzer's exceptions, as botocore's accessanalyzer model names them.

``code`` is the exception shape's name, ``status`` its ``error.httpStatusCode``; the
shape's other members (``reason``/``fieldList``, ``resourceId``/``resourceType``) go in
``fields``, which the REST-JSON protocol writes beside ``message``.
"""

from __future__ import annotations

from typing import Any

from accounts.errors import IamError

__all__ = [
    "AccessDeniedException",
    "ConflictException",
    "InvalidParameterException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ValidationException",
]


class AnalyzerError(IamError):
    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.fields: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}


class ValidationException(AnalyzerError):
    code, status = "ValidationException", 400

    def __init__(
        self,
        message: str,
        *,
        reason: str = "fieldValidationFailed",
        fields: list[tuple[str, str]] | None = None,
    ) -> None:
        field_list = [{"name": n, "message": m} for n, m in fields] if fields else None
        super().__init__(message, reason=reason, fieldList=field_list)


class ResourceNotFoundException(AnalyzerError):
    code, status = "ResourceNotFoundException", 404

    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ConflictException(AnalyzerError):
    code, status = "ConflictException", 409

    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ServiceQuotaExceededException(AnalyzerError):
    code, status = "ServiceQuotaExceededException", 402

    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class InvalidParameterException(AnalyzerError):
    code, status = "InvalidParameterException", 400


class AccessDeniedException(AnalyzerError):
    """What the API answers for an ``accounts.errors.AccessDenied`` (the operations raise
    that one, so the audit trail records a denial; the handlers translate)."""

    code, status = "AccessDeniedException", 403
