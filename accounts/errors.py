"""IAM's error codes, with the HTTP status AWS answers each with.

The codes and statuses are those of the IAM API reference ("Common Errors" and
each action's "Errors" section) and botocore's iam service model.
"""

from __future__ import annotations


class IamError(Exception):
    code = "ServiceFailure"
    status = 500
    sender = True  # <Type>Sender</Type> (client fault) or Receiver

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NoSuchEntity(IamError):
    code, status = "NoSuchEntity", 404


class EntityAlreadyExists(IamError):
    code, status = "EntityAlreadyExists", 409


class LimitExceeded(IamError):
    code, status = "LimitExceeded", 409


class DeleteConflict(IamError):
    code, status = "DeleteConflict", 409


class MalformedPolicyDocument(IamError):
    code, status = "MalformedPolicyDocument", 400


class ValidationError(IamError):
    code, status = "ValidationError", 400


class InvalidInput(IamError):
    code, status = "InvalidInput", 400


class PasswordPolicyViolation(IamError):
    code, status = "PasswordPolicyViolation", 400


class InvalidAuthenticationCode(IamError):
    code, status = "InvalidAuthenticationCode", 403


class PolicyNotAttachable(IamError):
    code, status = "PolicyNotAttachable", 400


class UnmodifiableEntity(IamError):
    code, status = "UnmodifiableEntity", 400


class ReportInProgress(IamError):
    code, status = "ReportInProgress", 404


class CredentialReportNotPresent(IamError):
    code, status = "ReportNotPresent", 410


class AccessDenied(IamError):
    code, status = "AccessDenied", 403

    def __init__(self, message: str, *, action: str = "", resource: str = "") -> None:
        super().__init__(message)
        self.action = action
        self.resource = resource
