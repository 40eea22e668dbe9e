"""AWS Organizations' errors: the exception shape names of botocore's ``organizations``
model (all HTTP 400 in the JSON 1.1 protocol), with AWS's messages.

Where AWS's exact text is not in AWS's documentation, the messages are those moto's
Organizations backend reproduces from AWS's answers (moto/organizations/exceptions.py);
the ones marked "unrecorded" are ours, written in AWS's manner.
"""

from __future__ import annotations

from typing import Any

from accounts.errors import AccessDenied, IamError


class OrgError(IamError):
    status = 400

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.fields: dict[str, Any] = fields


def _error(code: str, default: str = "") -> type[OrgError]:
    def init(self: OrgError, message: str = default, **fields: Any) -> None:
        OrgError.__init__(self, message, **fields)

    return type(code, (OrgError,), {"code": code, "__init__": init})


class AccessDeniedException(AccessDenied):
    """Organizations' name for a refusal (a subclass of AccessDenied, so the audit trail
    records it as a denied call)."""

    code, status = "AccessDeniedException", 400

    def __init__(self, message: str = "", *, action: str = "", resource: str = "") -> None:
        super().__init__(
            message or "You don't have permissions to access this resource.",
            action=action,
            resource=resource,
        )
        self.fields: dict[str, Any] = {}


NotInUse = _error(
    "AWSOrganizationsNotInUseException", "Your account is not a member of an organization."
)
AlreadyInOrganization = _error(
    "AlreadyInOrganizationException",
    "The provided account is already a member of an organization.",
)
AccountNotFound = _error("AccountNotFoundException", "You specified an account that doesn't exist.")
AccountAlreadyClosed = _error(
    "AccountAlreadyClosedException", "The provided account is already closed."
)
ChildNotFound = _error(
    "ChildNotFoundException",
    "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
)
ConstraintViolation = _error("ConstraintViolationException")
CreateAccountStatusNotFound = _error(
    "CreateAccountStatusNotFoundException",
    "We can't find an create account request with the CreateAccountRequestId that you specified.",
)
DestinationParentNotFound = _error(
    "DestinationParentNotFoundException",
    "We can't find the destination container (a root or OU) with the ParentId that you specified.",
)
SourceParentNotFound = _error(
    "SourceParentNotFoundException",
    "We can't find a source root or OU with the ParentId that you specified.",
)
DuplicateAccount = _error(
    "DuplicateAccountException", "That account is already present in the specified destination."
)
DuplicateHandshake = _error(
    "DuplicateHandshakeException", "A handshake with the same action and target already exists."
)
DuplicateOrganizationalUnit = _error(
    "DuplicateOrganizationalUnitException", "An OU with the same name already exists."
)
DuplicatePolicyAttachment = _error(
    "DuplicatePolicyAttachmentException",
    "The selected policy is already attached to the specified target.",
)
DuplicatePolicy = _error("DuplicatePolicyException", "A policy with the same name already exists.")
HandshakeAlreadyInState = _error(
    "HandshakeAlreadyInStateException",
    "The specified handshake is already in the requested state.",
)
HandshakeConstraintViolation = _error("HandshakeConstraintViolationException")
HandshakeNotFound = _error(
    "HandshakeNotFoundException",
    "We can't find a handshake with the HandshakeId that you specified.",
)
InvalidHandshakeTransition = _error(
    "InvalidHandshakeTransitionException",
    "You can't perform the operation on the handshake in its current state.",
)
InvalidInput = _error("InvalidInputException", "You specified an invalid value.")
MalformedPolicyDocument = _error(
    "MalformedPolicyDocumentException",
    "The provided policy document doesn't meet the requirements of the specified policy type.",
)
MasterCannotLeave = _error(
    "MasterCannotLeaveOrganizationException",
    "You can't remove a management account from an organization. If you want the management "
    "account to become a member account in another organization, you must first delete the "
    "current organization of the management account.",
)
OrganizationNotEmpty = _error(
    "OrganizationNotEmptyException",
    "To delete an organization you must first remove all member accounts (except the master).",
)
OrganizationalUnitNotEmpty = _error(
    "OrganizationalUnitNotEmptyException",
    "The specified OU is not empty. Move all accounts to another root or to other OUs, remove "
    "all child OUs, and try the operation again.",
)
OrganizationalUnitNotFound = _error(
    "OrganizationalUnitNotFoundException",
    "You specified an organizational unit that doesn't exist.",
)
ParentNotFound = _error("ParentNotFoundException", "You specified parent that doesn't exist.")
PolicyInUse = _error(
    "PolicyInUseException",
    "The policy is attached to one or more entities. You must detach it from all roots, OUs, "
    "and accounts before performing this operation.",
)
PolicyNotAttached = _error(
    "PolicyNotAttachedException",
    "The policy isn't attached to the specified target in the specified root.",
)
PolicyNotFound = _error(
    "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified."
)
PolicyTypeAlreadyEnabled = _error(
    "PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled."
)
PolicyTypeNotEnabled = _error(
    "PolicyTypeNotEnabledException",
    "This operation can be performed only for enabled policy types.",
)
RootNotFound = _error("RootNotFoundException", "You specified a root that doesn't exist.")
TargetNotFound = _error("TargetNotFoundException", "You specified a target that doesn't exist.")


def invalid_input(reason: str, message: str = "You specified an invalid value.") -> OrgError:
    return InvalidInput(message, Reason=reason)


def constraint(reason: str, message: str) -> OrgError:
    return ConstraintViolation(message, Reason=reason)
