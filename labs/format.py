"""The lab file: parse, validate, and the Lab it describes (a contract: labs/README.md).

Pure Python (PyYAML, jmespath): no Django import, so ``manage.py lab validate``,
the console's upload form and the tests share one validator. A file that does
not validate raises :class:`LabFileError` with every problem and its line.

The start state's authorization details are checked by the importer's pure
checker (``accounts.operations.importer.check_authorization_details``), imported
when a lab is loaded: that module belongs to the accounts app (Django models), so
loading a lab needs Django set up, importing this module does not.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

import jmespath
import jmespath.exceptions
import yaml

from policies.engine import catalog

__all__ = [
    "SEAT_ACCOUNT",
    "DecisionCheck",
    "EventCheck",
    "Lab",
    "LabFileError",
    "LabIssue",
    "Objective",
    "QueryCheck",
    "SeatSpec",
    "StartState",
    "load_lab",
    "load_lab_file",
]

MAX_FILE_BYTES = 1024 * 1024  # the lab file
MAX_JSON_BYTES = 10 * 1024 * 1024  # a start file (an AWS export of a big account is large)
MAX_TITLE = 200
MAX_SUMMARY = 300
MAX_POINTS = 1000  # per objective: scores stay small integers
# Lab files cannot know the seats' account ids: anywhere in a lab, this stands for the
# seat's (labs.operations.for_seat replaces it when a seat starts or is reset).
SEAT_ACCOUNT = "${SeatAccountId}"
_SAMPLE_ACCOUNT = "123456789012"  # what the start state is checked with


@dataclass(frozen=True)
class LabIssue:
    line: int | None  # 1-based line in the lab file (None: the file as a whole)
    message: str
    file: str = ""  # set when the problem is in a referenced JSON file

    def __str__(self) -> str:
        where = f"{self.file}:" if self.file else ""
        return f"{where}line {self.line}: {self.message}" if self.line else f"{where}{self.message}"


class LabFileError(ValueError):
    def __init__(self, issues: list[LabIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass(frozen=True)
class DecisionCheck:
    """``allowed`` / ``denied``: the engine's decision on the seat's current state."""

    expect: Literal["allowed", "denied"]
    principal: str  # user/NAME, role/NAME or a full ARN
    action: str
    resource: str = "*"
    context: dict[str, str | list[str]] = field(default_factory=dict)

    kind = "decision"


@dataclass(frozen=True)
class QueryCheck:
    """``query``: a JMESPath expression over the seat snapshot; passes when it is ``true``."""

    expression: str

    kind = "query"


@dataclass(frozen=True)
class EventCheck:
    """``event``: the seat's event history (since the seat started) holds a matching event."""

    name: str  # event name, e.g. AssumeRole
    principal: str = ""  # user/NAME, role/NAME (any session of it) or an ARN; "" any
    result: Literal["allowed", "denied", ""] = ""  # "" either
    resource: str = ""  # an ARN or a glob (* and ?); "" any

    kind = "event"


Check = DecisionCheck | QueryCheck | EventCheck


@dataclass(frozen=True)
class Objective:
    id: str
    title: str
    check: Check
    hint: str = ""
    points: int = 1


@dataclass(frozen=True)
class StartState:
    # GetAccountAuthorizationDetails shape, resolved (a path is read and inlined).
    authorization_details: dict[str, Any]
    password_policy: dict[str, Any] | None = None
    access_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeatSpec:
    user: str
    access_key: bool = False


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    summary: str
    instructions: str  # Markdown
    start: StartState
    seat: SeatSpec
    objectives: tuple[Objective, ...]

    @property
    def max_score(self) -> int:
        return sum(o.points for o in self.objectives)

    def to_dict(self) -> dict[str, Any]:
        """A self-contained JSON-able document (what a class stores).

        It is the lab file's own shape with the start file inlined, so a stored
        lab is itself a valid lab file (JSON is YAML).
        """
        start: dict[str, Any] = {
            "authorization_details": copy.deepcopy(self.start.authorization_details),
            "access_keys": list(self.start.access_keys),
        }
        if self.start.password_policy is not None:
            start["password_policy"] = dict(self.start.password_policy)
        objectives = []
        for o in self.objectives:
            item: dict[str, Any] = {"id": o.id, "title": o.title, "points": o.points}
            if o.hint:
                item["hint"] = o.hint
            item["check"] = _check_to_dict(o.check)
            objectives.append(item)
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "instructions": self.instructions,
            "start": start,
            "seat": {"user": self.seat.user, "access_key": self.seat.access_key},
            "objectives": objectives,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lab:
        """The inverse of ``to_dict`` (trusted input: it was validated once)."""
        start = data["start"]
        policy = start.get("password_policy")
        seat = data["seat"]
        return cls(
            id=data["id"],
            title=data["title"],
            summary=data["summary"],
            instructions=data["instructions"],
            start=StartState(
                authorization_details=copy.deepcopy(start["authorization_details"]),
                password_policy=dict(policy) if policy is not None else None,
                access_keys=tuple(start.get("access_keys") or ()),
            ),
            seat=SeatSpec(user=seat["user"], access_key=bool(seat.get("access_key", False))),
            objectives=tuple(
                Objective(
                    id=o["id"],
                    title=o["title"],
                    check=_check_from_dict(o["check"]),
                    hint=o.get("hint") or "",
                    points=o.get("points", 1),
                )
                for o in data["objectives"]
            ),
        )


def _check_to_dict(check: Check) -> dict[str, Any]:
    if isinstance(check, DecisionCheck):
        body: dict[str, Any] = {
            "principal": check.principal,
            "action": check.action,
            "resource": check.resource,
        }
        if check.context:
            body["context"] = copy.deepcopy(check.context)
        return {check.expect: body}
    if isinstance(check, QueryCheck):
        return {"query": check.expression}
    event = {"name": check.name}
    for key in ("principal", "result", "resource"):
        if getattr(check, key):
            event[key] = getattr(check, key)
    return {"event": event}


def _check_from_dict(data: dict[str, Any]) -> Check:
    if "query" in data:
        return QueryCheck(expression=data["query"])
    if "event" in data:
        e = data["event"]
        return EventCheck(
            name=e["name"],
            principal=e.get("principal", ""),
            result=e.get("result", ""),
            resource=e.get("resource", ""),
        )
    expect: Literal["allowed", "denied"] = "allowed" if "allowed" in data else "denied"
    d = data[expect]
    return DecisionCheck(
        expect=expect,
        principal=d["principal"],
        action=d["action"],
        resource=d.get("resource", "*"),
        context=copy.deepcopy(d.get("context") or {}),
    )


def load_lab(text: str, *, base_dir: Path | None = None, name: str = "<lab>") -> Lab:
    """Parse and validate a lab file's text; ``base_dir`` resolves a start path.

    ``base_dir=None`` is a lab without a folder (an upload): it may not reference
    a file. ``name`` is the file's name for callers' messages (issues carry lines).
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise LabFileError(
            [LabIssue(None, f"the lab file is {size} bytes; at most {MAX_FILE_BYTES} (1 MiB)")]
        )
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        raise LabFileError([_yaml_issue(e)]) from None
    except yaml.reader.ReaderError as e:  # a control character: a position, not a mark
        line = text.count("\n", 0, e.position) + 1
        raise LabFileError(
            [LabIssue(line, f"YAML syntax error: the character #x{e.character:04x} is not allowed")]
        ) from None
    except yaml.YAMLError as e:
        raise LabFileError([LabIssue(None, f"YAML syntax error: {e}")]) from None
    except RecursionError:
        raise LabFileError([LabIssue(None, "the YAML is nested too deeply")]) from None
    if root is None:
        raise LabFileError([LabIssue(None, "the lab file is empty")])
    tree = _Tree(budget=max(_MIN_NODE_BUDGET, len(text)))
    try:
        data = tree.build(root, ())
    except _TooBig as e:
        raise LabFileError([LabIssue(None, str(e))]) from None
    checker = _Checker(tree, base_dir=base_dir)
    lab = checker.lab(data, root_line=root.start_mark.line + 1)
    if checker.issues or lab is None:
        raise LabFileError(sorted(checker.issues, key=_issue_order))
    return lab


def load_lab_file(path: str | Path) -> Lab:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LabFileError(
                [LabIssue(None, f"the lab file is {size} bytes; at most {MAX_FILE_BYTES} (1 MiB)")]
            )
        raw = p.read_bytes()
    except OSError as e:
        raise LabFileError(
            [LabIssue(None, f"cannot read the lab file: {e.strerror or e}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LabFileError(
            [LabIssue(None, f"the lab file is not UTF-8 text ({e.reason})")]
        ) from None
    return load_lab(text, base_dir=p.parent, name=str(p))


# ---------------------------------------------------------------- YAML -> values with lines

_Path = tuple[str | int, ...]

# Values built from the YAML, at most: a file without aliases has fewer than its length
# (each value takes a character and a separator), so only an alias bomb reaches it.
_MIN_NODE_BUDGET = 100_000
_MAX_DEPTH = 100
_STD = "tag:yaml.org,2002:"


class _TooBig(Exception):
    def __init__(self) -> None:
        super().__init__("the file expands to too many values (aliases repeated too often)")


def _yaml_issue(e: yaml.MarkedYAMLError) -> LabIssue:
    mark = e.problem_mark or e.context_mark
    problem = e.problem or "invalid YAML"
    if e.context and e.problem:  # PyYAML's phrasing: "while scanning ..., found ..."
        problem = f"{e.context}, {e.problem}"
    return LabIssue(mark.line + 1 if mark else None, f"YAML syntax error: {problem}")


def _issue_order(issue: LabIssue) -> tuple[int, str, int]:
    # Lab-file issues by line (file-wide ones first), then those of a start file.
    return (1 if issue.file else 0, issue.file, issue.line or 0)


def _dotted(path: _Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _Tree:
    """Turns the composed node tree into plain JSON-like values and remembers lines.

    PyYAML's constructor would accept duplicate keys silently (the last wins) and
    lose every position; walking the nodes keeps the line of each value
    (``lines``) and of each mapping key (``key_lines``), keyed by path.
    """

    def __init__(self, budget: int) -> None:
        self.lines: dict[_Path, int] = {}
        self.key_lines: dict[_Path, int] = {}
        self.issues: list[LabIssue] = []
        self.bad: set[_Path] = set()  # paths already reported: checks stay quiet there
        self._constructor = yaml.SafeLoader("")
        self._budget = budget
        self._active: set[int] = set()

    def issue(self, line: int, path: _Path, message: str, *, value: bool = True) -> None:
        if value:  # the value at ``path`` is unusable (not a problem with a key in it)
            self.bad.add(path)
        self.issues.append(LabIssue(line, f"{_dotted(path)}: {message}" if path else message))

    def build(self, node: yaml.Node, path: _Path) -> Any:
        line = node.start_mark.line + 1
        self._budget -= 1
        if self._budget < 0:
            raise _TooBig
        self.lines.setdefault(path, line)
        if id(node) in self._active:
            self.issue(line, path, "an alias refers to the value that contains it")
            return None
        if len(path) > _MAX_DEPTH:
            self.issue(line, path, "nested too deeply")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _STD + "seq":
                    self.issue(line, path, f"the tag {node.tag} is not allowed (JSON values only)")
                    return None
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            if node.tag != _STD + "map":
                self.issue(line, path, f"the tag {node.tag} is not allowed (JSON values only)")
                return None
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: _Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges = [v for k, v in node.value if k.tag == _STD + "merge"]
        # "<<: *defaults" (YAML's merge key): merged keys first, so the mapping's own
        # keys override them; of several merged mappings the first wins.
        for value in merges:
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in reversed(sources):
                if not isinstance(source, yaml.MappingNode):
                    line = source.start_mark.line + 1
                    self.issue(line, path, "<< merges mappings only", value=False)
                    continue
                merged = self.build(source, path)
                if isinstance(merged, dict):
                    out.update(merged)
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STD + "merge":
                continue
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.issue(key_line, path, "a key must be a string", value=False)
                continue
            reported = len(self.issues)
            key = self._scalar(key_node, path, value=False)
            if not isinstance(key, str):
                if len(self.issues) == reported:
                    self.issue(
                        key_line,
                        path,
                        f"the key '{key_node.value}' is not a string "
                        f"(YAML reads it as {_kind(key)}): quote it",
                        value=False,
                    )
                continue
            if key in first:
                message = f"duplicate key '{key}' (first at line {first[key]})"
                self.issue(key_line, path, message, value=False)
                continue
            first[key] = key_line
            sub = (*path, key)
            self.key_lines[sub] = key_line
            self.lines.pop(sub, None)  # a merged value's line gives way to the own one
            out[key] = self.build(value_node, sub)
        return out

    def _scalar(self, node: yaml.ScalarNode, path: _Path, *, value: bool = True) -> Any:
        if node.tag == _STD + "timestamp":
            return node.value  # a date stays the text it was (JSON has no dates)
        try:
            result = self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as e:
            problem = getattr(e, "problem", None) or str(e)
            self.issue(node.start_mark.line + 1, path, problem, value=value)
            return None
        if isinstance(result, float) and not math.isfinite(result):
            message = f"{node.value} is not a JSON number"
            self.issue(node.start_mark.line + 1, path, message, value=value)
            return None
        if result is not None and not isinstance(result, str | int | float | bool):
            message = f"the tag {node.tag} is not allowed (JSON values only)"
            self.issue(node.start_mark.line + 1, path, message, value=value)
            return None
        return result


# ---------------------------------------------------------------- checking

_ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
# botocore's userNameType / roleNameType: [\w+=,.@-]+, 1..64, \w ASCII only.
_IAM_NAME_RE = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_SESSION_RE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)  # roleSessionNameType
_PATH_SEGMENT_RE = re.compile(r"[\x21-\x2e\x30-\x7e]+")  # pathType minus the "/"
_ACCOUNT = r"(?:\d{12}|\$\{SeatAccountId\})"
_EVENT_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
# The services whose calls the event history records (event sources), and the
# console's own event (CloudTrail's signin.amazonaws.com ConsoleLogin).
_EVENT_SERVICES = ("iam", "sts", "cloudtrail")
_OTHER_EVENTS = ("ConsoleLogin",)
_CHECK_KINDS = ("allowed", "denied", "query", "event")

# botocore's iam model, shape PasswordPolicy (GetAccountPasswordPolicy's answer), with
# the ranges of UpdateAccountPasswordPolicy's members (minimumPasswordLengthType 6..128,
# maxPasswordAgeType 1..1095, passwordReusePreventionType 1..24).
_POLICY_INTS = {
    "MinimumPasswordLength": (6, 128),
    "MaxPasswordAge": (1, 1095),
    "PasswordReusePrevention": (1, 24),
}
_POLICY_BOOLS = (
    "RequireSymbols",
    "RequireNumbers",
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "AllowUsersToChangePassword",
    "HardExpiry",
)
# Output only (true when MaxPasswordAge is set): accepted, so an export loads, and dropped.
_POLICY_OUTPUT_ONLY = ("ExpirePasswords",)

# GetAccountAuthorizationDetails' members. The importer reads past other keys; a lab
# refuses them, so that a misspelt list is not an empty one. The paging members of an
# export (and the CLI's ResponseMetadata) are accepted.
_DETAIL_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_DETAIL_KEYS = (*_DETAIL_LISTS, "IsTruncated", "Marker", "ResponseMetadata")

_PATH_TOKEN_RE = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _importer_path(text: str) -> _Path:
    """``UserDetailList[2].GroupList[0]`` -> ("UserDetailList", 2, "GroupList", 0)."""
    out: list[str | int] = []
    for m in _PATH_TOKEN_RE.finditer(text):
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return tuple(out)


def principal_problem(value: str) -> str | None:
    """Why ``value`` is not a check's principal (None: it is one)."""
    short = re.fullmatch(r"(user|role)/(.*)", value)
    if short:
        if not _IAM_NAME_RE.fullmatch(short.group(2)):
            return f"'{short.group(2)}' is not a valid IAM {short.group(1)} name"
        return None
    m = re.fullmatch(rf"arn:aws:iam::({_ACCOUNT}):(.+)", value)
    if m:
        resource = m.group(2)
        if resource == "root":
            return None
        kind, _, rest = resource.partition("/")
        if kind in ("user", "role") and rest:
            *segments, name = rest.split("/")
            if not _IAM_NAME_RE.fullmatch(name):
                return f"'{name}' is not a valid IAM {kind} name"
            if not all(_PATH_SEGMENT_RE.fullmatch(s) for s in segments) or len(rest) > 512:
                return f"the {kind}'s path in '{value}' is not a valid IAM path"
            return None
    m = re.fullmatch(rf"arn:aws:sts::{_ACCOUNT}:assumed-role/([^/]+)/([^/]+)", value)
    if m:
        if not _IAM_NAME_RE.fullmatch(m.group(1)):
            return f"'{m.group(1)}' is not a valid IAM role name"
        if not _SESSION_RE.fullmatch(m.group(2)):
            return f"'{m.group(2)}' is not a valid role session name"
        return None
    return (
        f"'{value}' is not a principal: write user/NAME, role/NAME or an ARN "
        "(arn:aws:iam::123456789012:user/NAME, :role/NAME or :root, or "
        "arn:aws:sts::123456789012:assumed-role/ROLE/SESSION)"
    )


def action_problem(value: str) -> str | None:
    """Why ``value`` is not one catalog action (None: it is one)."""
    if "*" in value or "?" in value:
        return "wildcards are not allowed in a check's action: a request names one action"
    prefix, sep, name = value.partition(":")
    if not sep or not prefix or not name:
        return f"'{value}' is not service:Action (e.g. iam:CreateUser)"
    if not catalog.service_exists(prefix):
        return f"unknown service prefix '{prefix}'" + _suggest(
            prefix.lower(), list(catalog.services())
        )
    if not catalog.action_exists(value):
        names = [a.name for a in catalog.actions(prefix)]
        return f"'{name}' is not an action of {prefix.lower()}" + _suggest(name, names)
    return None


def event_name_problem(value: str) -> str | None:
    if not _EVENT_NAME_RE.fullmatch(value):
        return f"'{value}' is not an event name (e.g. CreateUser, AssumeRole, ConsoleLogin)"
    if value in _OTHER_EVENTS:
        return None
    known: list[str] = list(_OTHER_EVENTS)
    for service in _EVENT_SERVICES:
        info = catalog.action(f"{service}:{value}")
        if info is not None:
            if info.name == value:
                return None
            return f"event names are case-sensitive: write '{info.name}'"
        known += [a.name for a in catalog.actions(service)]
    return f"'{value}' is not an event the console or API records" + _suggest(value, known)


class _Checker:
    """Checks the plain values against the format, collecting every issue."""

    def __init__(self, tree: _Tree, *, base_dir: Path | None) -> None:
        self.tree = tree
        self.issues: list[LabIssue] = list(tree.issues)
        self.base_dir = base_dir

    # -- reporting

    def line(self, path: _Path) -> int | None:
        """The line of a value: its key's line, else its own (list items); else its parent's."""
        for n in range(len(path), -1, -1):
            sub = path[:n]
            found = self.tree.key_lines.get(sub) or self.tree.lines.get(sub)
            if found:
                return found
        return None

    def err(self, path: _Path, message: str, *, line: int | None = None) -> None:
        if any(path[:n] in self.tree.bad for n in range(len(path) + 1)):
            return  # the YAML walk reported this value already (a tag, NaN, ...)
        where = line if line is not None else (self.line(path) if path else None)
        self.issues.append(LabIssue(where, f"{_dotted(path)}: {message}" if path else message))

    # -- shapes

    def mapping(
        self, path: _Path, value: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.err(path, f"must be a mapping, not {_kind(value)}")
            return None
        known = (*required, *optional)
        for key in value:
            if key not in known:
                line = self.tree.key_lines.get((*path, key))
                self.err(path, f"unknown key '{key}'{_suggest(key, known)}", line=line)
        for key in required:
            if key not in value:
                self.err(path, f"missing required key '{key}'")
        return value

    def text(
        self,
        path: _Path,
        value: Any,
        *,
        max_length: int | None = None,
        one_line: bool = False,
        required: bool = True,
    ) -> str | None:
        if not isinstance(value, str):
            if value is None and required:
                self.err(path, "missing value")
            elif value is not None:
                self.err(path, f"must be a string, not {_kind(value)} (quote it)")
            return None
        if one_line:
            value = value.strip()
            if "\n" in value or "\r" in value:
                self.err(path, "must be one line")
                return None
        if required and not value.strip():
            self.err(path, "must not be empty")
            return None
        if max_length is not None and len(value) > max_length:
            self.err(path, f"is {len(value)} characters; at most {max_length}")
            return None
        return value

    def ident(self, path: _Path, value: Any) -> str | None:
        text = self.text(path, value)
        if text is None:
            return None
        if not _ID_RE.fullmatch(text):
            self.err(
                path,
                f"'{text}' is not an id: 1 to 64 of a-z, 0-9 and '-', "
                "not starting or ending with '-'",
            )
            return None
        return text

    def user_name(self, path: _Path, value: Any) -> str | None:
        text = self.text(path, value)
        if text is None:
            return None
        if not _IAM_NAME_RE.fullmatch(text):
            self.err(
                path,
                f"'{text}' is not a valid IAM user name "
                r"(1 to 64 of letters, digits and +=,.@_-)",
            )
            return None
        return text

    # -- the lab

    def lab(self, data: Any, *, root_line: int) -> Lab | None:
        if not isinstance(data, dict):
            self.err(
                (),
                f"a lab file is a mapping (id: ..., title: ...), not {_kind(data)}",
                line=root_line,
            )
            return None
        self.mapping(
            (), data, ("id", "title", "summary", "instructions", "start", "seat", "objectives")
        )
        lab_id = self.ident(("id",), data.get("id")) if "id" in data else None
        title = (
            self.text(("title",), data.get("title"), max_length=MAX_TITLE, one_line=True)
            if "title" in data
            else None
        )
        summary = (
            self.text(("summary",), data.get("summary"), max_length=MAX_SUMMARY, one_line=True)
            if "summary" in data
            else None
        )
        instructions = None
        if "instructions" in data:
            instructions = data["instructions"]
            if not isinstance(instructions, str):
                self.err(
                    ("instructions",), f"must be a string (Markdown), not {_kind(instructions)}"
                )
                instructions = None
        start = self.start(data["start"]) if "start" in data else None
        seat = self.seat(data["seat"]) if "seat" in data else None
        objectives = self.objectives(data["objectives"]) if "objectives" in data else None
        if None in (lab_id, title, summary, instructions, start, seat, objectives):
            return None
        assert start is not None and seat is not None and objectives is not None
        return Lab(
            id=lab_id,  # type: ignore[arg-type]
            title=title,  # type: ignore[arg-type]
            summary=summary,  # type: ignore[arg-type]
            instructions=instructions,  # type: ignore[arg-type]
            start=start,
            seat=seat,
            objectives=objectives,
        )

    def start(self, value: Any) -> StartState | None:
        path: _Path = ("start",)
        if (
            self.mapping(
                path, value, ("authorization_details",), ("password_policy", "access_keys")
            )
            is None
        ):
            return None
        ok = True
        details: dict[str, Any] | None = None
        users: set[str] | None = None
        if "authorization_details" in value:
            details = self.authorization_details(value["authorization_details"])
            ok = details is not None
            if details is not None:
                users = _user_names(details)
        policy = self.password_policy(value.get("password_policy"))
        ok = ok and policy is not False
        keys = self.access_keys(value.get("access_keys"), users)
        ok = ok and keys is not None
        if not ok or details is None or keys is None or policy is False:
            return None
        return StartState(authorization_details=details, password_policy=policy, access_keys=keys)

    def authorization_details(self, value: Any) -> dict[str, Any] | None:
        path: _Path = ("start", "authorization_details")
        if isinstance(value, str):
            loaded = self.read_start_file(path, value)
            if loaded is None:
                return None
            details, shown = loaded
            problems = _unknown_detail_keys(details) + self.check_details(details)
            for sub, message in problems:
                where = f"{sub}: " if sub else ""
                self.issues.append(LabIssue(None, f"{where}{message}", file=shown))
            return None if problems else details
        if not isinstance(value, dict):
            self.err(
                path,
                "must be a mapping (GetAccountAuthorizationDetails output) "
                f"or the path of a JSON file holding one, not {_kind(value)}",
            )
            return None
        problems = self.check_details(value)
        for key in value:
            if key not in _DETAIL_KEYS:
                line = self.tree.key_lines.get((*path, key))
                self.err(path, f"unknown key '{key}'{_suggest(key, _DETAIL_LISTS)}", line=line)
        for sub, message in problems:
            # The line of the deepest node of the path that the YAML has (a policy
            # document given as JSON text is one node).
            self.err((*path, *_importer_path(sub)), message)
        return None if problems or _unknown_detail_keys(value) else value

    def check_details(self, details: dict[str, Any]) -> list[tuple[str, str]]:
        try:
            # deferred: the importer is a Django module (the accounts app's models);
            # this module stays importable without Django.
            from accounts.operations.importer import check_authorization_details
        except ImportError as e:
            if e.name != "accounts.operations.importer":
                raise  # the importer is there but broken: say so
            return []  # the importer is not there yet: this part is not checked
        return list(check_authorization_details(_with_sample_account(details)))

    def read_start_file(self, path: _Path, ref: str) -> tuple[dict[str, Any], str] | None:
        if self.base_dir is None:
            self.err(
                path,
                "this lab has no folder (an upload), so it cannot reference a file: "
                "inline the authorization details",
            )
            return None
        if not ref.strip():
            self.err(path, "the path is empty")
            return None
        if PurePosixPath(ref).is_absolute() or PureWindowsPath(ref).anchor:
            self.err(path, f"'{ref}' is absolute: give a path relative to the lab file's folder")
            return None
        if ".." in PureWindowsPath(ref).parts:  # splits on both "/" and "\"
            self.err(path, f"'{ref}' goes up with '..': the file must be in the lab's folder")
            return None
        base = self.base_dir.resolve()
        target = (base / ref).resolve()
        shown = str(self.base_dir / ref)
        if not target.is_relative_to(base):
            self.err(path, f"'{ref}' leads outside the lab's folder (a symbolic link)")
            return None
        if not target.is_file():
            self.err(path, f"no such file: {shown}")
            return None
        size = target.stat().st_size
        if size > MAX_JSON_BYTES:
            self.err(path, f"{shown} is {size} bytes; at most {MAX_JSON_BYTES}")
            return None
        try:
            text = target.read_bytes().decode("utf-8-sig")
        except OSError as e:
            self.err(path, f"cannot read {shown}: {e.strerror or e}")
            return None
        except UnicodeDecodeError as e:
            self.issues.append(LabIssue(None, f"not UTF-8 text ({e.reason})", file=shown))
            return None
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as e:
            self.issues.append(
                LabIssue(e.lineno, f"not valid JSON: {e.msg} (column {e.colno})", file=shown)
            )
            return None
        except ValueError as e:
            self.issues.append(LabIssue(None, f"not valid JSON: {e}", file=shown))
            return None
        if not isinstance(data, dict):
            self.issues.append(
                LabIssue(
                    None,
                    "must hold a JSON object (GetAccountAuthorizationDetails output), "
                    f"not {_kind(data)}",
                    file=shown,
                )
            )
            return None
        return data, shown

    def password_policy(self, value: Any) -> dict[str, Any] | None | Literal[False]:
        """The policy, None when absent, False when it has problems."""
        path: _Path = ("start", "password_policy")
        if value is None:
            return None
        known = (*_POLICY_INTS, *_POLICY_BOOLS, *_POLICY_OUTPUT_ONLY)
        if self.mapping(path, value, (), known) is None:
            return False
        ok = True
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in known:
                ok = False
                continue
            if item is None:
                continue  # not set
            sub = (*path, key)
            if key in _POLICY_INTS:
                low, high = _POLICY_INTS[key]
                if isinstance(item, bool) or not isinstance(item, int):
                    self.err(sub, f"must be an integer, not {_kind(item)}")
                    ok = False
                elif not low <= item <= high:
                    self.err(sub, f"must be from {low} to {high} (AWS's range), not {item}")
                    ok = False
                else:
                    out[key] = item
            elif not isinstance(item, bool):
                self.err(sub, f"must be true or false, not {_kind(item)}")
                ok = False
            elif key not in _POLICY_OUTPUT_ONLY:
                out[key] = item
        return out if ok else False

    def access_keys(self, value: Any, users: set[str] | None) -> tuple[str, ...] | None:
        path: _Path = ("start", "access_keys")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.err(path, f"must be a list of user names, not {_kind(value)}")
            return None
        ok = True
        seen: dict[str, int | None] = {}
        out = []
        for i, item in enumerate(value):
            sub = (*path, i)
            name = self.user_name(sub, item)
            if name is None:
                ok = False
                continue
            # IAM user names ignore case ("Bob" is "bob"), as the importer does.
            if name.lower() in seen:
                first = seen[name.lower()]
                self.err(sub, f"'{name}' is listed twice (first at line {first})")
                ok = False
                continue
            seen[name.lower()] = self.line(sub)
            if users is not None and name.lower() not in {u.lower() for u in users}:
                self.err(
                    sub, f"'{name}' is not a user in start.authorization_details' UserDetailList"
                )
                ok = False
                continue
            out.append(name)
        return tuple(out) if ok else None

    def seat(self, value: Any) -> SeatSpec | None:
        path: _Path = ("seat",)
        if self.mapping(path, value, ("user",), ("access_key",)) is None:
            return None
        user = self.user_name((*path, "user"), value["user"]) if "user" in value else None
        access_key = value.get("access_key")
        if access_key is None:
            access_key = False
        elif not isinstance(access_key, bool):
            self.err((*path, "access_key"), f"must be true or false, not {_kind(access_key)}")
            return None
        if user is None:
            return None
        return SeatSpec(user=user, access_key=access_key)

    def objectives(self, value: Any) -> tuple[Objective, ...] | None:
        path: _Path = ("objectives",)
        if not isinstance(value, list):
            self.err(path, f"must be a list of objectives, not {_kind(value)}")
            return None
        if not value:
            self.err(path, "a lab needs at least one objective")
            return None
        out: list[Objective] = []
        ok = True
        ids: dict[str, int | None] = {}
        for i, item in enumerate(value):
            objective = self.objective((*path, i), item, ids)
            if objective is None:
                ok = False
            else:
                out.append(objective)
        # Points are positive, so at least one objective is at least one point in total.
        return tuple(out) if ok else None

    def objective(self, path: _Path, value: Any, ids: dict[str, int | None]) -> Objective | None:
        if self.mapping(path, value, ("id", "title", "check"), ("hint", "points")) is None:
            return None
        ok = True
        oid = self.ident((*path, "id"), value["id"]) if "id" in value else None
        if oid is not None:
            if oid in ids:
                self.err(
                    (*path, "id"), f"duplicate objective id '{oid}' (first at line {ids[oid]})"
                )
                ok = False
            else:
                ids[oid] = self.line((*path, "id"))
        title = (
            self.text((*path, "title"), value["title"], max_length=MAX_TITLE, one_line=True)
            if "title" in value
            else None
        )
        hint = value.get("hint")
        if hint is None:
            hint = ""
        elif not isinstance(hint, str):
            self.err((*path, "hint"), f"must be a string, not {_kind(hint)} (quote it)")
            ok = False
        points = value.get("points")
        if points is None:
            points = 1
        elif (
            isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS
        ):
            self.err(
                (*path, "points"), f"must be a whole number from 1 to {MAX_POINTS}, not {points!r}"
            )
            ok = False
        check = self.check((*path, "check"), value["check"]) if "check" in value else None
        if not ok or oid is None or title is None or check is None:
            return None
        return Objective(id=oid, title=title, check=check, hint=hint, points=points)

    def check(self, path: _Path, value: Any) -> Check | None:
        if self.mapping(path, value, (), _CHECK_KINDS) is None:
            return None
        kinds = [k for k in _CHECK_KINDS if k in value]
        if not kinds:
            if not any(k not in _CHECK_KINDS for k in value):  # an unknown key said enough
                self.err(path, "needs one of allowed, denied, query or event")
            return None
        if len(kinds) > 1:
            self.err(path, f"has {' and '.join(kinds)}: a check is exactly one of them")
            return None
        kind = kinds[0]
        sub = (*path, kind)
        if kind in ("allowed", "denied"):
            return self.decision(sub, value[kind], kind)  # type: ignore[arg-type]
        if kind == "query":
            return self.query(sub, value[kind])
        return self.event(sub, value[kind])

    def principal(self, path: _Path, value: Any, *, required: bool = True) -> str | None:
        text = self.text(path, value, required=required)
        if text is None:
            return None
        problem = principal_problem(text)
        if problem:
            self.err(path, problem)
            return None
        return text

    def event_principal(self, path: _Path, value: Any) -> str | None:
        # An event's actor may also be an ARN glob (arn:aws:sts::*:assumed-role/admin/*).
        if isinstance(value, str) and value.startswith("arn:") and ("*" in value or "?" in value):
            return value
        return self.principal(path, value)

    def decision(
        self, path: _Path, value: Any, expect: Literal["allowed", "denied"]
    ) -> DecisionCheck | None:
        if self.mapping(path, value, ("principal", "action"), ("resource", "context")) is None:
            return None
        ok = True
        principal = (
            self.principal((*path, "principal"), value["principal"])
            if "principal" in value
            else None
        )
        action = self.text((*path, "action"), value["action"]) if "action" in value else None
        if action is not None:
            problem = action_problem(action)
            if problem:
                self.err((*path, "action"), problem)
                action = None
        resource = value.get("resource")
        if resource is None:
            resource = "*"
        elif not isinstance(resource, str):
            self.err((*path, "resource"), f"must be a string, not {_kind(resource)}")
            ok = False
        elif resource != "*" and not (resource.startswith("arn:") and resource.count(":") >= 5):
            self.err(
                (*path, "resource"),
                f"'{resource}' is not an ARN (arn:aws:service:region:account:resource) or *",
            )
            ok = False
        context = self.context((*path, "context"), value.get("context"))
        if not ok or principal is None or action is None or context is None:
            return None
        return DecisionCheck(
            expect=expect, principal=principal, action=action, resource=resource, context=context
        )

    def context(self, path: _Path, value: Any) -> dict[str, str | list[str]] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.err(path, f"must be a mapping of condition keys to strings, not {_kind(value)}")
            return None
        ok = True
        out: dict[str, str | list[str]] = {}
        for key, item in value.items():
            sub = (*path, key)
            prefix, sep, name = key.partition(":")
            if not (prefix and sep and name):
                self.err(sub, "is not a condition key (service:name, e.g. aws:SourceIp)")
                ok = False
                continue
            if isinstance(item, str):
                out[key] = item
                continue
            if isinstance(item, list):
                bad = [j for j, v in enumerate(item) if not isinstance(v, str)]
                for j in bad:
                    self.err((*sub, j), _context_value_problem(item[j]))
                if bad:
                    ok = False
                else:
                    out[key] = list(item)
                continue
            self.err(sub, _context_value_problem(item))
            ok = False
        return out if ok else None

    def query(self, path: _Path, value: Any) -> QueryCheck | None:
        text = self.text(path, value)
        if text is None:
            return None
        try:
            jmespath.compile(text)
        except jmespath.exceptions.JMESPathError as e:
            self.err(path, f"not a JMESPath expression: {_jmespath_message(e)}")
            return None
        return QueryCheck(expression=text)

    def event(self, path: _Path, value: Any) -> EventCheck | None:
        if self.mapping(path, value, ("name",), ("principal", "result", "resource")) is None:
            return None
        ok = True
        name = self.text((*path, "name"), value["name"]) if "name" in value else None
        if name is not None:
            problem = event_name_problem(name)
            if problem:
                self.err((*path, "name"), problem)
                name = None
        principal = ""
        if value.get("principal") is not None:
            principal = self.event_principal((*path, "principal"), value["principal"]) or ""
            ok = ok and bool(principal)
        result = value.get("result")
        if result is None:
            result = ""
        elif result not in ("allowed", "denied"):
            self.err(
                (*path, "result"),
                f"must be allowed or denied (or left out for either), not {result!r}",
            )
            ok = False
        resource = ""
        if value.get("resource") is not None:
            resource = self.text((*path, "resource"), value["resource"]) or ""
            ok = ok and bool(resource)
        if not ok or name is None:
            return None
        return EventCheck(name=name, principal=principal, result=result, resource=resource)


def _context_value_problem(value: Any) -> str:
    if isinstance(value, bool | int | float):
        shown = json.dumps(value)
        return f'context values are strings, as in AWS\'s request context: quote it ("{shown}")'
    return f"must be a string or a list of strings, not {_kind(value)}"


def _jmespath_message(e: Exception) -> str:
    first = str(e).split("\n", 1)[0].strip()
    first = first.removesuffix(":").removesuffix(", for expression")
    for prefix in ("Invalid jmespath expression: ", "Bad jmespath expression: "):
        first = first.removeprefix(prefix)
    position = getattr(e, "lex_position", None)
    if position is not None and "column" not in first:
        first += f" at column {position}"
    return first


def _with_sample_account(value: Any) -> Any:
    """``value`` as a seat would get it, with a sample account id for the placeholder."""
    if isinstance(value, str):
        return value.replace(SEAT_ACCOUNT, _SAMPLE_ACCOUNT)
    if isinstance(value, dict):
        return {_with_sample_account(k): _with_sample_account(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_sample_account(v) for v in value]
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unknown_detail_keys(details: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(key), f"unknown key{_suggest(str(key), _DETAIL_LISTS)}")
        for key in details
        if key not in _DETAIL_KEYS
    ]


def _user_names(details: dict[str, Any]) -> set[str] | None:
    """The start's user names (None when the list is not there to tell)."""
    users = details.get("UserDetailList", [])
    if not isinstance(users, list):
        return None
    return {
        u["UserName"] for u in users if isinstance(u, dict) and isinstance(u.get("UserName"), str)
    }
