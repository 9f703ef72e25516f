"""Findings and the rules that produce them: one shape for every face (table, JSON, SARIF, web).

A rule carries its own metadata (id, severity, the 62443 requirement it bears on, a one-line
explanation) beside the code that finds it; a finding carries a stable id built from the rule
and the data path, never from a position or a timestamp, so tracking survives re-runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.diagnostics import Location

MODEL_SEVERITIES = ("warning", "error")
SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    explanation: str
    requirement: str | None = None

    def __post_init__(self) -> None:
        assert self.severity in MODEL_SEVERITIES + SEVERITIES, self.severity


@dataclass(frozen=True)
class Finding:
    id: str
    rule: str
    severity: str
    message: str
    location: Location | None = None
    path: tuple[Any, ...] = ()
    requirement: str | None = None
    related: tuple[Location, ...] = field(default=())
    data: dict[str, Any] | None = field(default=None, compare=False)  # the facts behind the message, e.g. reasons

    @property
    def reasons(self) -> list[dict[str, Any]]:
        """Why, as data (code, message, what it names): a refused compensation's reasons."""
        return list((self.data or {}).get("reasons", []))

    def as_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "path": [str(p) for p in self.path],
            "requirement": self.requirement,
            "related": [{"file": r.file, "line": r.line, "column": r.column} for r in self.related],
            **({"data": self.data} if self.data is not None else {}),
        }


def finding_id(rule: str, path: tuple[Any, ...]) -> str:
    return f"check:{rule}:" + "/".join(str(p) for p in path)


def severity_rank(severity: str) -> int:
    """Model severities sit on the same ladder: warning ~ low, error ~ high."""
    order = {"info": 0, "low": 1, "warning": 1, "medium": 2, "high": 3, "error": 3, "critical": 4}
    return order[severity]
