"""The policy grammar: documents, statements and their elements, as plain frozen data.

AWS docs: "IAM JSON policy element reference" and "Grammar of the IAM JSON policy
language". Parsing here is for evaluation: it accepts every document IAM accepts and
raises PolicyError only when a document cannot be given a meaning (Statement not an
object or list, Effect neither Allow nor Deny, ...). `validate` gives the detailed,
located findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .jsonsafe import JsonError, loads

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
VERSIONS = (VERSION_2012, VERSION_2008)

STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
TOP_KEYS = frozenset({"Version", "Id", "Statement"})
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


class PolicyError(ValueError):
    """A document that has no meaning as a policy."""


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """Principal or NotPrincipal: "*" or a mapping of principal type to values.

    AWS: `"Principal": "*"` and `{"AWS": "*"}` both mean everyone, anonymous included.
    """

    wildcard: bool
    entries: tuple[tuple[str, tuple[str, ...]], ...]  # (type, values)

    def values(self, kind: str) -> tuple[str, ...]:
        for k, v in self.entries:
            if k == kind:
                return v
        return ()


@dataclass(frozen=True, slots=True)
class ConditionEntry:
    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    principal: PrincipalSpec | None
    not_principal: bool
    actions: tuple[str, ...] | None
    not_action: bool
    resources: tuple[str, ...] | None
    not_resource: bool
    conditions: tuple[ConditionEntry, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]

    @property
    def variables_enabled(self) -> bool:
        """AWS: policy variables are recognised only with Version 2012-10-17."""
        return self.version == VERSION_2012


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        out = []
        for v in value:
            if v is None and where == "Resource":
                continue  # IAM ignores null entries in a Resource list
            if not isinstance(v, str):
                raise PolicyError(f"{where} values must be strings")
            out.append(v)
        return tuple(out)
    raise PolicyError(f"{where} must be a string or a list of strings")


def _condition_value(value: object, where: str) -> tuple[str, ...]:
    # IAM accepts JSON booleans and numbers in condition values (e.g. "Bool": true).
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, str | int | float):
            out.append(str(v))
        else:
            raise PolicyError(f"{where} values must be strings")
    return tuple(out)


def parse_principal(value: object) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(True, ())
    if isinstance(value, str):
        # A bare string other than "*" is not valid grammar; treat it as an AWS principal,
        # as several tools write "Principal": "arn:aws:iam::...:role/x".
        return PrincipalSpec(False, (("AWS", (value,)),))
    if not isinstance(value, Mapping):
        raise PolicyError('Principal must be "*" or an object')
    entries = []
    wildcard = False
    for kind, raw in value.items():
        vals = _strings(raw, f"Principal.{kind}")
        if kind == "AWS" and "*" in vals:
            wildcard = True
        entries.append((kind, vals))
    return PrincipalSpec(wildcard, tuple(entries))


def parse_statement(raw: object, index: int) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError("each Statement must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError("Effect must be Allow or Deny")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError("Sid must be a string")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError("Principal and NotPrincipal together")
    if "Action" in raw and "NotAction" in raw:
        raise PolicyError("Action and NotAction together")
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError("Resource and NotResource together")
    principal = None
    not_principal = "NotPrincipal" in raw
    if "Principal" in raw or not_principal:
        principal = parse_principal(raw["NotPrincipal" if not_principal else "Principal"])
    not_action = "NotAction" in raw
    actions = None
    if "Action" in raw or not_action:
        actions = _strings(raw["NotAction" if not_action else "Action"], "Action")
    not_resource = "NotResource" in raw
    resources = None
    if "Resource" in raw or not_resource:
        resources = _strings(raw["NotResource" if not_resource else "Resource"], "Resource")
    conditions: list[ConditionEntry] = []
    cond = raw.get("Condition")
    if cond is not None:
        if not isinstance(cond, Mapping):
            raise PolicyError("Condition must be an object")
        for op, block in cond.items():
            if not isinstance(block, Mapping):
                raise PolicyError("each condition operator takes an object of keys")
            for key, values in block.items():
                conditions.append(
                    ConditionEntry(op, key, _condition_value(values, f"Condition.{op}"))
                )
    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        principal=principal,
        not_principal=not_principal,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        conditions=tuple(conditions),
    )


def load_document(doc: object) -> Mapping[str, object]:
    """A dict, or JSON text parsed with the depth guard."""
    if isinstance(doc, str | bytes):
        text = doc.decode("utf-8") if isinstance(doc, bytes) else doc
        try:
            doc = loads(text)
        except JsonError as exc:
            raise PolicyError(f"invalid JSON: {exc.message}") from None
    if not isinstance(doc, Mapping):
        raise PolicyError("a policy document must be a JSON object")
    return doc


def parse_policy(doc: object) -> Policy:
    """Parse a document (dict or JSON text) into a Policy."""
    data = load_document(doc)
    version = data.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(f"unsupported Version {version!r}")
    stmts = data.get("Statement")
    if isinstance(stmts, Mapping):
        stmts = [stmts]
    if stmts is None:
        stmts = []
    if not isinstance(stmts, list):
        raise PolicyError("Statement must be an object or a list")
    pid = data.get("Id")
    return Policy(
        version=version,  # type: ignore[arg-type]
        id=pid if isinstance(pid, str) else None,
        statements=tuple(parse_statement(s, i) for i, s in enumerate(stmts)),
    )
