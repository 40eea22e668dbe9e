"""Checking policy documents the way IAM's Create*/Put* actions do.

The grammar checks and AWS's exact MalformedPolicyDocument messages come from the
engine (``policies.engine``); this adds the size limits that depend on where the
document goes. Sizes count characters other than whitespace, as AWS counts them
("IAM and AWS STS character limits").
"""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import unquote

from accounts.errors import LimitExceeded, MalformedPolicyDocument
from policies import engine

Kind = Literal["identity", "trust", "boundary"]

_ENGINE_TYPES = {
    "identity": "IDENTITY_POLICY",
    "trust": "TRUST_POLICY",
    "boundary": "IDENTITY_POLICY",
}


def policy_size(document: str) -> int:
    """Characters excluding whitespace (AWS's measure for policy size quotas)."""
    return sum(1 for ch in document if not ch.isspace())


def check_policy_document(
    document: str, *, kind: Kind = "identity", limit: int | None = None
) -> str:
    """Return the document if IAM would accept it, else raise MalformedPolicyDocument.

    Documents may arrive URL-encoded (as the AWS CLI's get-* output shows them);
    IAM accepts both forms.
    """
    if not isinstance(document, str) or not document.strip():
        raise MalformedPolicyDocument("Syntax errors in policy.")
    text = document
    if text.lstrip().startswith("%7B") or text.lstrip().startswith("%7b"):
        text = unquote(text)
    if kind == "trust":
        # A trust policy that is not JSON has its own text (localstack's AWS recordings,
        # test_iam_roles "invalid-json-error"); permission policies say SYNTAX.
        try:
            json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise MalformedPolicyDocument("This policy contains invalid Json") from exc
    if limit is not None and policy_size(text) > limit:
        quota = "ACLSizePerRole" if kind == "trust" else "PolicySize"
        raise LimitExceeded(f"Cannot exceed quota for {quota}: {limit}")

    checker = getattr(engine, "check_malformed", None)
    if checker is not None:
        message = checker(text, _ENGINE_TYPES[kind])
        if message:
            raise MalformedPolicyDocument(message)
    else:  # engine without the validator: at least refuse what is not JSON
        try:
            json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise MalformedPolicyDocument("Syntax errors in policy.") from exc
    return text
