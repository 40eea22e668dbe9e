"""Name, path and tag rules from botocore's iam model and the IAM quotas page.

``\\w`` in AWS's patterns means ASCII letters, digits and underscore only, so the
patterns are compiled with re.ASCII: non-ASCII names are refused.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
"""

from __future__ import annotations

import re

from accounts.errors import InvalidInput, LimitExceeded, ValidationError

NAME_PATTERN = r"[\w+=,.@-]+"
_NAME_RE = re.compile(NAME_PATTERN, re.ASCII)
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
_PATH_RE = re.compile(r"/|/[\x21-\x7e]+/")
PATH_PREFIX_PATTERN = r"\u002F[\u0021-\u007F]*"
_PATH_PREFIX_RE = re.compile(r"/[\x21-\x7f]*")
_ALIAS_RE = re.compile(r"[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]")

MAX_TAGS = 50


def _fail(value: str, member: str, constraint: str) -> ValidationError:
    # IAM no longer quotes the rejected value (AWS recordings of 2026, as localstack's
    # snapshots show them): "Value at 'tags.1.member.key' failed to satisfy constraint".
    return ValidationError(
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: {constraint}"
    )


PATH_MESSAGE = (
    "The specified value for path is invalid. It must begin and end with / and contain "
    "only alphanumeric characters and/or / characters."
)


def check_name(value: str, *, member: str = "userName", max_length: int = 64) -> str:
    """User and role names: 1-64; group, policy and inline policy names: 1-128."""
    if not isinstance(value, str) or not value:
        raise _fail(value or "", member, "Member must have length greater than or equal to 1")
    if len(value) > max_length:
        raise _fail(value, member, f"Member must have length less than or equal to {max_length}")
    if not _NAME_RE.fullmatch(value):
        raise _fail(
            value, member, f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )
    return value


def check_path(value: str | None, *, member: str = "path") -> str:
    if value is None or value == "":
        return "/"
    if len(value) > 512:
        raise _fail(value, member, "Member must have length less than or equal to 512")
    if not _PATH_RE.fullmatch(value):
        # IAM's own text for every Path/NewPath (localstack's AWS recording of
        # CreateVirtualMFADevice with Path "bad").
        raise ValidationError(PATH_MESSAGE)
    return value


def check_path_prefix(value: str | None) -> str:
    if value is None or value == "":
        return "/"
    if len(value) > 512:
        raise _fail(value, "pathPrefix", "Member must have length less than or equal to 512")
    if not _PATH_PREFIX_RE.fullmatch(value):
        raise _fail(
            value,
            "pathPrefix",
            f"Member must satisfy regular expression pattern: {PATH_PREFIX_PATTERN}",
        )
    return value


def check_alias(value: str) -> str:
    if not 3 <= len(value) <= 63 or not _ALIAS_RE.fullmatch(value):
        raise _fail(
            value,
            "accountAlias",
            "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
        )
    if value.isdigit() and len(value) == 12:
        # An alias that looks like an account id would make sign-in URLs ambiguous.
        raise ValidationError("The account alias cannot be a 12-digit number.")
    return value


_TAG_CHARS = re.compile(r"[\w\s_.:/=+\-@]*", re.UNICODE)


DUPLICATE_TAGS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
# CreatePolicy/TagPolicy answer the short form (localstack's AWS recordings,
# test_iam_policies); roles (and users, not recorded) keep the sentence about case.
DUPLICATE_POLICY_TAGS = "Duplicate tag keys found."


def check_tags(
    tags: list[dict[str, str]],
    existing: list[dict[str, str]] | None = None,
    *,
    duplicate_message: str = DUPLICATE_TAGS,
) -> list[dict[str, str]]:
    """Merge ``tags`` into ``existing``: keys 1-128, values 0-256, at most 50.

    IAM tag keys are case-insensitive for uniqueness: tagging with a key that
    differs only in case replaces the value (and keeps the new spelling). A key
    already there keeps its place (AWS updates it in place: after re-tagging
    ``somekey``, ListRoleTags still reads ``[somekey, someotherkey]``).
    """
    merged = [dict(t) for t in (existing or [])]
    seen_new: set[str] = set()
    for tag in tags:
        key, value = tag.get("Key"), tag.get("Value", "")
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise _fail(str(key), "tags.member.key", "Member must have length between 1 and 128")
        if not isinstance(value, str) or len(value) > 256:
            raise _fail(
                str(value), "tags.member.value", "Member must have length less than or equal to 256"
            )
        if not _TAG_CHARS.fullmatch(key) or not _TAG_CHARS.fullmatch(value):
            raise _fail(
                key,
                "tags.member.key",
                r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            )
        if key.lower().startswith("aws:"):
            raise InvalidInput("Tag keys starting with 'aws:' are reserved for AWS use.")
        if key.lower() in seen_new:
            raise InvalidInput(duplicate_message)
        seen_new.add(key.lower())
        for index, old in enumerate(merged):
            if old["Key"].lower() == key.lower():
                merged[index] = {"Key": key, "Value": value}
                break
        else:
            merged.append({"Key": key, "Value": value})
    if len(merged) > MAX_TAGS:
        raise LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    return merged


def check_max_items(value: int | None) -> int | None:
    return value


# AWS's default password policy (since November 2020), in force while an account has no
# custom one; IAM User Guide, "Set an account password policy for IAM users": "Minimum of
# 8 characters and a maximum of 128 characters; minimum of three of the following mix of
# character types: uppercase, lowercase, numbers, and ! @ # $ % ^ & * ( ) _ + - = [ ] { }
# | ' symbols; not be identical to your AWS account name or email address."
# AWS's exact PasswordPolicyViolation detail lines for the default policy are not
# recorded anywhere we could find; these follow the custom policy's wording.
DEFAULT_MIN_PASSWORD_LENGTH = 8
DEFAULT_MAX_PASSWORD_LENGTH = 128
DEFAULT_PASSWORD_CLASSES = 3


def default_password_problems(password: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """What AWS's default password policy finds wrong with ``password`` (empty: none).

    ``names``: the account's name(s) and the root email, which the password must not be.
    """
    problems = []
    if len(password) < DEFAULT_MIN_PASSWORD_LENGTH:
        problems.append(f"Password should have at least {DEFAULT_MIN_PASSWORD_LENGTH} characters")
    if len(password) > DEFAULT_MAX_PASSWORD_LENGTH:
        problems.append(f"Password should have at most {DEFAULT_MAX_PASSWORD_LENGTH} characters")
    classes = sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < DEFAULT_PASSWORD_CLASSES:
        problems.append(
            "Password should have at least three of uppercase letters, lowercase letters, "
            "numbers and symbols"
        )
    if any(name and password.lower() == name.lower() for name in names):
        problems.append("Password should not be the account name or email address")
    return problems
