"""Firmware versions and the version ranges of ICS advisories.

CSAF advisories write ranges as `vers:all/<V4.2`, as bare constraints (`< A11_U05`), as `|`-joined
constraints (`>= 6.02 | <= 6.05`), as exact versions and as free text (`All versions < V2.0 SP1`,
`< 2016 R2`, `< January 31 2014`). `univers` cannot compare them: it rejects `vers:all/<V4.2`, reads
`5.2 SP3 HF13` as a semver pre-release (so older than 5.2) and its generic versions order 2.10 before
2.9.7. Hence a comparator of our own, which says "cannot compare" rather than guess.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

# qualifier words after the main number, in the order they refine a release: a hotfix on SP1 is newer
# than SP1, and SP1 newer than any hotfix on the base release
_PRE = {"alpha": -3, "beta": -2, "rc": -1, "pre": -1}
_SLOTS = {"sp": 0, "servicepack": 0, "upd": 1, "update": 1, "u": 1, "hf": 2, "hotfix": 2, "fix": 2, "patch": 2,
          "p": 2, "pl": 2, "build": 3, "b": 3, "bld": 3}
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_NOISE = re.compile(r"^(?:(?:all|versions?|firmware|fw|software|release|rel|ver)\b[\s.:]*)+", re.I)
_TOKEN = re.compile(r"\d+|[a-z]+")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


@dataclass(frozen=True)
class Version:
    """A parsed firmware version. `kind` is `num` (numbers, then service pack / update / hotfix / build
    qualifiers), `date`, or `tokens` (anything else, compared token by token when the shapes agree)."""

    raw: str
    kind: str
    main: tuple[int, ...] = ()
    pre: tuple[int, int] = (0, 0)
    slots: tuple[int, int, int, int] = (0, 0, 0, 0)
    tail: tuple[int | str, ...] = ()


def _date(text: str) -> Version | None:
    m = _ISO_DATE.match(text)
    if m:
        return Version(text, "date", tuple(int(x) for x in m.groups()))
    words = re.findall(r"[a-z]+|\d+", text)
    months = [_MONTHS[w] for w in words if w in _MONTHS]
    nums = [int(w) for w in words if w.isdigit()]
    if len(months) == 1 and len(words) == len(nums) + 1 and nums:
        year = next((n for n in nums if n > 1900), None)
        day = next((n for n in nums if n <= 31), 1)
        if year:
            return Version(text, "date", (year, months[0], day))
    return None


@lru_cache(maxsize=65536)
def parse_version(text: str | None) -> Version | None:
    """The version in a firmware string, or None when there is none (empty, no digit)."""
    if not text:
        return None
    s = text.strip().lower().replace("_", " ")
    if not any(c.isdigit() for c in s):
        return None
    if (d := _date(s)) is not None:
        return d
    s = _NOISE.sub("", s)
    # drop leading words without digits ("HiOS 09.1.00", "BIOS 1.31"), and a glued v / sv / fw prefix
    parts = s.split()
    while parts and not any(c.isdigit() for c in parts[0]):
        parts.pop(0)
    s = " ".join(parts)
    s = re.sub(r"^(?:v|sv|fw|ver)\.?(?=\d)", "", s)
    tokens = [int(t) if t.isdigit() else t for t in _TOKEN.findall(s)]
    if not tokens:
        return None
    if isinstance(tokens[0], str):
        return Version(text, "tokens", tail=tuple(tokens))
    main: list[int] = []
    pre = (0, 0)
    slots = [0, 0, 0, 0]
    i = 0
    while i < len(tokens) and isinstance(tokens[i], int):
        main.append(tokens[i])
        i += 1
    # "2016 R2", "1.0 r3": a release number continues the main version
    if i + 1 < len(tokens) and tokens[i] in ("r", "rev", "release") and isinstance(tokens[i + 1], int):
        main.append(tokens[i + 1])
        i += 2
    tail: list[int | str] = []
    while i < len(tokens):
        word = tokens[i]
        num = tokens[i + 1] if i + 1 < len(tokens) and isinstance(tokens[i + 1], int) else None
        if isinstance(word, str) and word in _PRE and not tail:
            pre = (_PRE[word], num or 0)
        elif isinstance(word, str) and word in _SLOTS and num is not None and not tail:
            slots[_SLOTS[word]] = num
        else:
            tail.extend(tokens[i:])
            break
        i += 2 if num is not None else 1
    return Version(text, "num", tuple(main), pre, (slots[0], slots[1], slots[2], slots[3]), tuple(tail))


def _cmp(a: tuple, b: tuple) -> int:
    return (a > b) - (a < b)


def compare(a: Version, b: Version) -> int | None:
    """-1, 0 or 1; None when the two are not comparable (a date against a number, different shapes)."""
    if a.kind != b.kind:
        return None
    if a.kind == "date":
        return _cmp(a.main, b.main)
    if a.kind == "num":
        if _notations_differ(a, b) or _notations_differ(b, a):
            return None
        n = max(len(a.main), len(b.main))
        c = _cmp(a.main + (0,) * (n - len(a.main)), b.main + (0,) * (n - len(b.main)))
        if c:
            return c
        c = _cmp((a.pre, a.slots), (b.pre, b.slots))
        if c:
            return c
        return _cmp_tail(a.tail, b.tail)
    return _cmp_tail(a.tail, b.tail)


def _notations_differ(a: Version, b: Version) -> bool:
    """"V7.5 SP2 Upd 14" against "V7.5.2.13": one writes service packs as words, the other as more numbers;
    reading them as one scale would call the newer release older."""
    return (any(a.slots) and not any(b.slots) and len(b.main) > len(a.main)
            and b.main[: len(a.main)] == a.main)


def _cmp_tail(a: tuple, b: tuple) -> int | None:
    if not a and not b:
        return 0
    if not a or not b:
        return None  # "1.29F" against "1.29": no safe order
    for x, y in zip(a, b, strict=False):
        if type(x) is not type(y):
            return None
        if x != y:
            return -1 if x < y else 1
    return _cmp((len(a),), (len(b),))


# -- ranges ------------------------------------------------------------------------------------------

_OPS = ("<=", ">=", "!=", "<", ">", "=")
_CONSTRAINT = re.compile(r"(<=|>=|!=|=<|=>|<|>|=)")
_FREE = [  # free-text phrasings that are plain constraints, rewritten before parsing
    (re.compile(r"^(.+?)\s+up\s+to\s+and\s+including\s+(.+)$"), r"\1 | <= \2"),
    (re.compile(r"^(?:all\s+)?versions?\s+(?:prior\s+to|before|earlier\s+than|older\s+than)\s+(.+)$"), r"< \1"),
    (re.compile(r"^(?:prior\s+to|before|earlier\s+than)\s+(.+)$"), r"< \1"),
    (re.compile(r"^(.+?)\s+and\s+(?:prior|earlier|older|before|below)(?:\s+versions?)?$"), r"<= \1"),
    (re.compile(r"^(.+?)\s+(?:and|or)\s+(?:later|newer|above|higher)(?:\s+versions?)?$"), r">= \1"),
    (re.compile(r"^(?:versions?\s+)?(.+?)\s+(?:through|to)\s+(.+)$"), r">= \1 | <= \2"),
    (re.compile(r"^all\s+(?:[a-z]+\s+){0,2}versions?\s*(?=[<>=!])"), ""),
    (re.compile(r"^all(?:\s+versions?)?$"), "*"),
]


@dataclass(frozen=True)
class Constraint:
    op: str
    version: Version


@dataclass(frozen=True)
class Range:
    """A parsed range: `all`, a list of constraints (vers semantics), or `unparseable` with the reason;
    an unparseable range keeps in `constraints` the parts that did parse."""

    raw: str
    kind: str  # all | constraints | unparseable
    constraints: tuple[Constraint, ...] = ()
    reason: str = ""

    @property
    def upper(self) -> Version | None:
        """The highest `<`, `<=` or `=` bound: a firmware above it runs a release after the affected ones."""
        tops = [c.version for c in self.constraints if c.op in ("<", "<=", "=")]
        best = None
        for v in tops:
            if best is None or (compare(v, best) or 0) > 0:
                best = v
        return best


# Rockwell writes a fix per release line as one constraint: "<V33.017_V34.014_V35.013"
_BRANCHES = re.compile(r"<\s*(v?\d+(?:\.\d+)+(?:_v?\d+(?:\.\d+)+)+)")


def _branches(m: re.Match[str]) -> str:
    """Below the first line's fix, or on a later line (from its major version) below that line's fix."""
    fixes = sorted((parse_version(v) for v in m.group(1).split("_")), key=lambda v: v.main if v else ())
    parts = [f"<{fixes[0].raw}"] if fixes[0] else []
    for v in fixes[1:]:
        if v:
            parts.append(f">={v.main[0]} <{v.raw}")
    return " | ".join(parts)


def _constraint(text: str) -> Constraint | None:
    text = text.strip()
    if not text:
        return None
    m = _CONSTRAINT.match(text)
    op = "="
    if m:
        op = {"=<": "<=", "=>": ">="}.get(m.group(1), m.group(1))
        text = text[m.end():].strip()
    wildcard = re.match(r"^(.*\d)\.[x*]$", text, re.I)
    if wildcard and op == "=":
        return None  # handled by the caller as a prefix
    version = parse_version(text)
    if version is None:
        return None
    return Constraint(op, version)


@lru_cache(maxsize=65536)
def parse_range(text: str, exact: bool = False) -> Range:
    """Parse an advisory's version or range. `exact` for CSAF `product_version` entries, whose name is a
    version and not a constraint (though some still hold one)."""
    raw = text
    cond = re.search(r"\((?:[^)]*\b(?:only\s+(?:with|when|if|on)|if|when|requires?)\b[^)]*)\)"
                     r"|\bonly\s+(?:with|when|if|on)\b.*|\bwhen\s+running\b.*", text, re.I)
    if cond:
        return Range(raw, "unparseable", reason=f"a condition the inventory cannot tell: {cond.group(0)!r}")
    s = re.sub(r"\([^)]*\)", " ", text.strip().lower())  # remarks: "(only affected by CVE-2019-10943)"
    s = _BRANCHES.sub(_branches, s)
    s = " ".join(s.replace("_", " ").split()) if not exact else s.strip()
    if s.startswith("vers:"):
        s = s.split("/", 1)[1] if "/" in s else ""
    s = s.strip()
    if s in ("*", "all", "all versions"):
        return Range(raw, "all")
    for pattern, repl in _FREE:
        if pattern.search(s):
            s = pattern.sub(repl, s).strip()
            break
    if s == "*":
        return Range(raw, "all")
    out: list[Constraint] = []
    if not _CONSTRAINT.search(s) and re.search(r",|\band\b", s):
        s = re.sub(r"\s*(?:,\s*and|,|\band\b)\s*", " | ", s)  # "V15, V15.1 and V16": a list of versions
    else:
        s = re.sub(r"\s+and\s+(?=[<>=])", " ", s)  # ">V1.1 and <V2.0.1": one interval
    for part in s.split("|"):
        part = part.strip()
        if not part:
            continue
        # one part may hold two constraints: ">= V7.80 < V9.30"
        pieces = [p for p in re.split(r"\s*(?=(?:<=|>=|!=|<|>)\s*v?\d)", part) if p.strip()]
        wild = re.match(r"^=?\s*(.*\d)\.[x*]$", part, re.I)
        if wild and len(pieces) == 1:
            base = parse_version(wild.group(1))
            if base is None or base.kind != "num":
                return Range(raw, "unparseable", reason=f"cannot read the version pattern {part!r}")
            nxt = Version(base.raw + "+", "num", (*base.main[:-1], base.main[-1] + 1))
            out += [Constraint(">=", base), Constraint("<", nxt)]
            continue
        for piece in pieces:
            c = _constraint(piece)
            if c is None or (c.op == "=" and not _looks_like_version(piece)):
                return Range(raw, "unparseable", tuple(out), f"not a version constraint: {piece.strip()!r}")
            out.append(c)
    if not out:
        return Range(raw, "unparseable", reason="no version in the range")
    return Range(raw, "constraints", tuple(out))


def _looks_like_version(text: str) -> bool:
    """A bare version, not a sentence: at most three words, one of them with a digit."""
    words = text.split()
    return 0 < len(words) <= 4 and any(c.isdigit() for c in words[0].lstrip("=v"))


def contains(rng: Range, version: Version) -> bool | None:
    """Whether the version is in the range (the vers algorithm: equalities first, then the sorted
    constraints read as intervals); None when a comparison is impossible."""
    if rng.kind == "all":
        return True
    if rng.kind != "constraints":
        return None
    cons = list(rng.constraints)
    for c in cons:
        r = compare(version, c.version)
        if r is None:
            return None
        if r == 0 and c.op in ("=", "<=", ">="):
            return True
        if r == 0 and c.op == "!=":
            return False
        if c.op == "=" and _same_line(c.version, version):
            return True
    cons = [c for c in cons if c.op not in ("=", "!=")]
    if not cons:
        return False
    ordered = _sorted(cons)
    if ordered is None:
        return None
    first, last = ordered[0], ordered[-1]
    if first.op in ("<", "<=") and compare(version, first.version) == -1:
        return True
    if last.op in (">", ">=") and compare(version, last.version) == 1:
        return True
    for cur, nxt in itertools.pairwise(ordered):
        if (cur.op in (">", ">=") and nxt.op in ("<", "<=") and compare(version, cur.version) == 1
                and compare(version, nxt.version) == -1):
            return True
    return False


def _same_line(line: Version, version: Version) -> bool:
    """A bare major version in a list ("V15, V16 and V17") names a release line with its updates."""
    return (line.kind == version.kind == "num" and len(line.main) == 1 and line.slots == (0, 0, 0, 0)
            and not line.tail and line.pre == (0, 0) and version.main[:1] == line.main)


def _sorted(cons: list[Constraint]) -> list[Constraint] | None:
    out: list[Constraint] = []
    for c in cons:
        i = 0
        while i < len(out):
            r = compare(c.version, out[i].version)
            if r is None:
                return None
            if r < 0:
                break
            i += 1
        out.insert(i, c)
    return out
