"""STS federation: AssumeRoleWithWebIdentity, AssumeRoleWithSAML (both served unsigned,
see api/views.py) and GetFederationToken (accounts/operations/federation.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import federation
from accounts.principal import Principal
from api.shapes import credentials_out

__all__ = ["assume_role_with_saml", "assume_role_with_web_identity", "get_federation_token"]


def _policy_arns(p: dict[str, Any]) -> list[str]:
    return [item["arn"] for item in p.get("PolicyArns") or [] if item.get("arn")]


def _assumed(new: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Credentials": credentials_out(new),
        "AssumedRoleUser": {"AssumedRoleId": new.assumed_role_id, "Arn": new.assumed_role_arn},
    }
    if new.packed_policy_size is not None:
        out["PackedPolicySize"] = new.packed_policy_size
    return out


def assume_role_with_web_identity(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    session = federation.assume_role_with_web_identity(
        actor=actor,
        role_arn=p["RoleArn"],
        session_name=p["RoleSessionName"],
        web_identity_token=p["WebIdentityToken"],
        provider_id=p.get("ProviderId"),
        policy=p.get("Policy"),
        policy_arns=_policy_arns(p),
        duration_seconds=p.get("DurationSeconds"),
    )
    out = _assumed(session.new)
    out["SubjectFromWebIdentityToken"] = session.subject
    out["Provider"] = session.provider
    out["Audience"] = session.audience
    if session.source_identity:
        out["SourceIdentity"] = session.source_identity
    return out


def assume_role_with_saml(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    session = federation.assume_role_with_saml(
        actor=actor,
        role_arn=p["RoleArn"],
        principal_arn=p["PrincipalArn"],
        saml_assertion=p["SAMLAssertion"],
        policy=p.get("Policy"),
        policy_arns=_policy_arns(p),
        duration_seconds=p.get("DurationSeconds"),
    )
    out = _assumed(session.new)
    out.update(
        {
            "Subject": session.subject,
            "SubjectType": session.subject_type,
            "Issuer": session.issuer,
            "Audience": session.audience,
            "NameQualifier": session.name_qualifier,
        }
    )
    if session.source_identity:
        out["SourceIdentity"] = session.source_identity
    return out


def get_federation_token(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    token = federation.get_federation_token(
        actor=actor,
        name=p["Name"],
        policy=p.get("Policy"),
        policy_arns=_policy_arns(p),
        duration_seconds=p.get("DurationSeconds"),
        tags=p.get("Tags"),
    )
    return {
        "Credentials": credentials_out(token.new),
        "FederatedUser": {"FederatedUserId": token.federated_user_id, "Arn": token.arn},
        # Present with 0 when no policy was passed (localstack's AWS recording).
        "PackedPolicySize": token.packed_policy_size,
    }
