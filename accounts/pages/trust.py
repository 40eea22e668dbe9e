"""Role trust policies as the console shows them: who a trust policy trusts (the "Trusted
entities" column) and the trust-policy editor's validation panel. Used by the role pages
and the create-role wizard.
"""

from __future__ import annotations

import json
from typing import Any

from accounts.operations.common import TRUST_POLICY_LIMIT
from iamconsole.pages import validation_context

__all__ = ["trust_validation", "trusted_entities"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def trusted_entities(trust_policy: str) -> list[str]:
    """The "Trusted entities" column: who the trust policy's Allow statements name.

    As the console words it: "AWS Service: ec2", "Account: 123456789012",
    "Identity Provider: …", "Anyone" for ``"*"``.
    """
    try:
        doc = json.loads(trust_policy)
    except (ValueError, TypeError):
        return []
    out: list[str] = []
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in _as_list(statements):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if principal == "*":
            out.append("Anyone")
            continue
        if not isinstance(principal, dict):
            continue
        for kind, values in principal.items():
            for value in _as_list(values):
                if not isinstance(value, str):
                    continue
                if kind == "Service":
                    out.append(f"AWS Service: {value.removesuffix('.amazonaws.com')}")
                elif kind == "Federated":
                    out.append(f"Identity Provider: {value.rsplit('/', 1)[-1]}")
                elif kind == "AWS":
                    if value == "*":
                        out.append("Anyone")
                    elif value.isdigit():
                        out.append(f"Account: {value}")
                    elif value.startswith("arn:aws:iam::"):
                        account, _, rest = value.removeprefix("arn:aws:iam::").partition(":")
                        out.append(
                            f"Account: {account}" if rest == "root" else f"{rest} ({account})"
                        )
                    else:
                        out.append(value)
                else:
                    out.append(f"{kind}: {value}")
    return list(dict.fromkeys(out))


def trust_validation(document: str) -> dict[str, Any]:
    """Findings of a trust policy (validated as TRUST_POLICY), for the editor's panel."""
    ctx = validation_context(document, "TRUST_POLICY")
    ctx["size_limit"] = TRUST_POLICY_LIMIT
    ctx["summary"] = None  # a trust policy grants no service actions to summarize
    return ctx
