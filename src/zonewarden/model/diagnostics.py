"""Where a problem is and what it is: the shapes every layer uses to point into plant files.

`PlantReadError` means the input could not be read at all (missing file, YAML syntax): exit 2.
A `Problem` is something wrong inside a readable plant; the checks turn it into a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a plant file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a plant, found while loading (schema) or by a semantic rule."""

    rule: str
    message: str
    location: Location | None = None
    path: tuple[Any, ...] = ()
    related: tuple[Location, ...] = field(default=())


def dotted_path(path: tuple[Any, ...]) -> str:
    """A data path as a plant author writes it: ('assets', 'a1', 'addresses', 0) -> assets.a1.addresses[0]."""
    return ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in path).replace(".[", "[")


class PlantReadError(Exception):
    """The plant could not be read: the message names the file (and line) and what was expected."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class PlantInvalid(Exception):
    """The plant was read but does not satisfy the format; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        where = f"{first.location}: " if first.location else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{where}{first.message}{more}")
