"""The lab file: parse, validate, and the Lab it describes (a contract: labs/README.md).

Pure Python (PyYAML, jmespath): no Django import, so ``manage.py lab validate``,
the console's upload form and the tests share one validator. A file that does
not validate raises :class:`LabFileError` with every problem and its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
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
        """A self-contained JSON-able document (what a class stores)."""
        raise NotImplementedError  # implemented with the parser

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lab:
        """The inverse of ``to_dict`` (trusted input: it was validated once)."""
        raise NotImplementedError  # implemented with the parser


def load_lab(text: str, *, base_dir: Path | None = None, name: str = "<lab>") -> Lab:
    """Parse and validate a lab file's text; ``base_dir`` resolves a start path."""
    raise NotImplementedError


def load_lab_file(path: str | Path) -> Lab:
    p = Path(path)
    return load_lab(p.read_text(encoding="utf-8"), base_dir=p.parent, name=str(p))
