"""STS actions: translate botocore's ``sts`` input dicts to accounts.operations.sts."""

from __future__ import annotations

from typing import Any

from accounts.operations import sts
from accounts.principal import Principal
from api.shapes import credentials_out

__all__ = [
    "assume_role",
    "decode_authorization_message",
    "get_access_key_info",
    "get_caller_identity",
    "get_session_token",
]


def get_caller_identity(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return sts.get_caller_identity(actor=actor)


def assume_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    new = sts.assume_role(
        actor=actor,
        role_arn=p["RoleArn"],
        session_name=p["RoleSessionName"],
        duration_seconds=p.get("DurationSeconds"),
        external_id=p.get("ExternalId"),
        serial_number=p.get("SerialNumber"),
        token_code=p.get("TokenCode"),
        policy=p.get("Policy"),
        policy_arns=[item["arn"] for item in p.get("PolicyArns") or [] if item.get("arn")],
        tags=p.get("Tags"),
        source_identity=p.get("SourceIdentity"),
        transitive_tag_keys=p.get("TransitiveTagKeys"),
    )
    out: dict[str, Any] = {
        "Credentials": credentials_out(new),
        "AssumedRoleUser": {"AssumedRoleId": new.assumed_role_id, "Arn": new.assumed_role_arn},
    }
    if new.packed_policy_size is not None:
        out["PackedPolicySize"] = new.packed_policy_size
    if p.get("SourceIdentity"):
        out["SourceIdentity"] = p["SourceIdentity"]
    return out


def get_session_token(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    new = sts.get_session_token(
        actor=actor,
        duration_seconds=p.get("DurationSeconds"),
        serial_number=p.get("SerialNumber"),
        token_code=p.get("TokenCode"),
    )
    return {"Credentials": credentials_out(new)}


def get_access_key_info(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"Account": sts.get_access_key_info(actor=actor, access_key_id=p["AccessKeyId"])}


def decode_authorization_message(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "DecodedMessage": sts.decode_authorization_message(
            actor=actor, encoded_message=p["EncodedMessage"]
        )
    }
