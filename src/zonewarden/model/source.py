"""YAML text to plain data, and plain-data paths back to file positions.

libyaml's composer (PyYAML's CSafeLoader) builds a node tree with line and column on every node;
we turn it into dicts, lists and scalars ourselves (leaner than PyYAML's constructor, and a
duplicate key is a problem, not a silent overwrite) and then let the tree go. Positions are
needed only for findings, so `SourceMap.locate` composes a file again from the bytes we kept,
on first use: a clean plant pays nothing for them in time, memory or garbage collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Location, PlantReadError, Problem

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml ships in PyYAML's wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MAX_VALUES = 5_000_000  # values a file may compose to, and a document may expand to through aliases
MAX_DEPTH = 100  # nesting levels; a plant needs fewer than ten
_SEPARATORS = (b"\n", b",", b":", b"-", b"[", b"{", b"?")
MERGE = "tag:yaml.org,2002:merge"
_scalar_ctor = yaml.constructor.SafeConstructor()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large, acyclic tree of new objects.

    Otherwise every generation-0 pass re-scans the hundreds of thousands of nodes just made; on
    a 20,000-asset plant that is most of the load time (benchmarks/bench_check.py).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def loc(file: str, node: Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def node_bound(text: bytes) -> int:
    """An upper bound on the nodes `text` composes to, from byte counts alone (C speed): every node but the
    first follows a separator (a line break, `,` `:` `-` `[` `{` `?`), and one separator brings at most two
    (a key and its value)."""
    return 2 * sum(text.count(sep) for sep in _SEPARATORS) + 2


def _count_events(text: bytes) -> int:
    """The parser's events in `text` (values, starts and ends of lists and mappings), counted without building
    anything: libyaml's own loop where PyYAML has it, else event objects dropped one by one. Memory stays flat."""
    if hasattr(_Loader, "raw_parse"):
        return _Loader(text).raw_parse()
    return sum(1 for _ in yaml.parse(text, Loader=_Loader))


def _refuse_huge(text: bytes, display: str) -> None:
    """Refuse a text of more than MAX_VALUES parse events before composing it (composed, 11 million values take
    about 2 GB); a 100,000-asset plant has about 3.4 million."""
    if _count_events(text) > MAX_VALUES:
        raise PlantReadError(f"{display}: more than {MAX_VALUES:,} YAML values, lists and mappings, more than a "
                             "plant holds; is it a plant file?")


def compose(text: bytes, display: str) -> Node | None:
    """Compose one YAML document; any YAML error becomes a PlantReadError naming file, line, column.
    A text that may hold more than MAX_VALUES values is counted first (cheaply bounded for ordinary files)."""
    try:
        if node_bound(text) > MAX_VALUES:
            _refuse_huge(text, display)
        with paused_gc():
            return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise PlantReadError(f"YAML syntax error: {what}",
                             Location(display, mark.line + 1, mark.column + 1) if mark else None) from None
    except yaml.reader.ReaderError as e:
        raise PlantReadError(f"{display}: not UTF-8 text (byte {e.character!r} at offset {e.position}: {e.reason})"
                             ) from None
    except yaml.YAMLError as e:
        raise PlantReadError(f"{display}: not valid YAML ({e})") from None


def shown(value: str, limit: int = 60) -> str:
    """A value quoted for a message, cut short: a hostile file must not flood the terminal."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value):,} characters)"


def scalar(node: ScalarNode, file: str) -> Any:
    if node.tag == STR:
        return node.value
    ctor = _scalar_ctor.yaml_constructors.get(node.tag)
    kind = node.tag.rsplit(":", 1)[-1]
    if ctor is None or node.tag.endswith(("binary", "set", "omap", "pairs")):
        raise PlantReadError(f"unsupported YAML tag {shown(node.tag)}; plant files use plain YAML values",
                             loc(file, node))
    try:
        return ctor(_scalar_ctor, node)
    except ValueError:
        if node.tag == TIMESTAMP:  # 2024-13-01: keep the text, the model says which field wanted a date
            return node.value
        raise PlantReadError(f"cannot read {shown(node.value)} as {_KIND_NAMES.get(kind, kind)}",
                             loc(file, node)) from None
    except (yaml.YAMLError, LookupError, AttributeError, TypeError, OverflowError):  # `!!bool maybe`, `!!timestamp x`
        raise PlantReadError(f"cannot read {shown(node.value)} as {_KIND_NAMES.get(kind, kind)}",
                             loc(file, node)) from None


_KIND_NAMES = {"bool": "true/false (`!!bool`)", "int": "a whole number (`!!int`)", "float": "a number (`!!float`)",
               "timestamp": "a date such as 2024-05-31 (`!!timestamp`)", "null": "null"}


def _flatten(node: MappingNode, file: str) -> int:
    """Apply YAML merge keys (<<) in place; return how many leading pairs came from merges."""
    merges = sum(1 for k, _ in node.value if k.tag == MERGE)
    if not merges:
        return 0
    local = len(node.value) - merges
    try:
        _scalar_ctor.flatten_mapping(node)
    except yaml.YAMLError:
        raise PlantReadError("a merge key (<<) takes an alias of a mapping, or a list of them",
                             loc(file, node)) from None
    return len(node.value) - local


class Builder:
    """Plain data from a node tree. Duplicate keys become problems (with the data path, for stable ids);
    keys brought in by a merge (<<) may be overridden, as YAML intends; aliases may not expand the
    document beyond MAX_VALUES values (a few hundred bytes can otherwise ask for gigabytes)."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.budget = MAX_VALUES

    def build(self, node: Node, path: tuple[Any, ...] = ()) -> Any:
        cls = node.__class__
        file = self.file
        if cls is ScalarNode:
            return node.value if node.tag == STR else scalar(node, file)  # type: ignore[arg-type]
        if len(path) >= MAX_DEPTH:
            raise PlantReadError(f"the document nests deeper than {MAX_DEPTH} levels; a plant needs fewer than ten",
                                 loc(file, node))
        self.budget -= 1 + len(node.value)
        if self.budget < 0:
            raise PlantReadError(f"the document expands to more than {MAX_VALUES:,} values; do aliases (*name) "
                                 "repeat large parts of it?", loc(file, node))
        if cls is SequenceNode:
            if node.tag != SEQ:
                raise PlantReadError(f"unsupported YAML tag {node.tag!r} on a list", loc(file, node))
            return [v.value if v.__class__ is ScalarNode and v.tag == STR else self.build(v, (*path, i))
                    for i, v in enumerate(node.value)]
        if cls is MappingNode:
            if node.tag != MAP:
                raise PlantReadError(f"unsupported YAML tag {node.tag!r} on a mapping", loc(file, node))
            merged = _flatten(node, file)  # type: ignore[arg-type]
            out: dict[Any, Any] = {}
            first_at: dict[Any, int] = {}
            for i, (k, v) in enumerate(node.value):
                if k.__class__ is not ScalarNode:
                    raise PlantReadError("a mapping key must be a plain value, not a list or mapping", loc(file, k))
                key = k.value if k.tag == STR else scalar(k, file)
                if key in out and first_at[key] >= merged:
                    self.problems.append(_duplicate(node, key, k, v, file, path))  # type: ignore[arg-type]
                    continue
                first_at[key] = i
                if v.__class__ is ScalarNode and v.tag == STR:
                    out[key] = v.value
                else:
                    out[key] = self.build(v, (*path, key))
            return out
        raise PlantReadError(f"unexpected YAML node {cls.__name__}", loc(file, node))  # pragma: no cover


def build(node: Node, file: str, problems: list[Problem]) -> Any:
    """Plain data from a node tree; see Builder."""
    try:
        return Builder(file, problems).build(node)
    except RecursionError:
        raise PlantReadError("the document nests deeper than zonewarden can follow", loc(file, node)) from None


def _duplicate(node: MappingNode, key: Any, knode: Node, vnode: Node, file: str, path: tuple[Any, ...]) -> Problem:
    first_k, first_v = next((k, v) for k, v in node.value if isinstance(k, ScalarNode) and scalar(k, file) == key)
    first = loc(file, first_k)
    rule, msg = "duplicate-id", f"{key!r} is defined twice in the same mapping (first at line {first.line})"
    if path == ("assets",):
        zones = [_zone_of(n) for n in (first_v, vnode)]
        if zones[0] != zones[1]:
            rule = "asset-in-two-zones"
            msg = f"asset {key!r} is placed in zone {zones[1]!r} here and in zone {zones[0]!r} at line {first.line}"
    return Problem(rule, msg + "; an id is defined once", loc(file, knode), (*path, key), related=(first,))


def _zone_of(node: Node) -> Any:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == "zone" and isinstance(v, ScalarNode):
                return v.value
    return None


@dataclass
class SourceMap:
    """Maps data paths such as ('assets', 'plc-1', 'zone') back to the file position that produced them.

    `texts` keeps each file's bytes; merged plants record which file each id or list item came
    from (`ids`, `items`, `keys`), so a path is first resolved to (file, path in that file).
    """

    root: Any = None
    files: list[str] = field(default_factory=list)
    texts: dict[str, bytes] = field(default_factory=dict)
    ids: dict[tuple[str, Any], str] = field(default_factory=dict)
    items: dict[tuple[str, ...], list[tuple[str, int]]] = field(default_factory=dict)
    keys: dict[tuple[str, ...], str] = field(default_factory=dict)
    _trees: dict[str, Node | None] = field(default_factory=dict, repr=False)
    _pairs_cache: dict[int, dict[Any, tuple[Node, Node]]] = field(default_factory=dict, repr=False)

    def locate(self, path: Iterable[Any], *, key: bool = False) -> Location | None:
        """Position of the value at `path` (or of its key, with key=True); unknown path parts are skipped."""
        if not self.files:
            return None
        file, steps = self._resolve(list(path))
        node = self._tree(file)
        if node is None:
            return Location(file, 1, 1)
        best: Node = node
        for i, step in enumerate(steps):
            last = i == len(steps) - 1
            if isinstance(node, MappingNode):
                pair = self._pairs(node, file).get(step)
                if pair is None:
                    continue
                node = pair[1]
                best = pair[0] if key and last else node
            elif isinstance(node, SequenceNode):
                if not isinstance(step, int) or not 0 <= step < len(node.value):
                    continue
                best = node = node.value[step]
            else:
                break
        return loc(file, best)

    def _resolve(self, p: list[Any]) -> tuple[str, list[Any]]:
        """Which file a path of the merged plant comes from, and the path inside that file."""
        default = self.files[0]
        if len(self.files) == 1 or not p:
            return default, p
        for n in (2, 1):
            prefix = tuple(p[:n])
            if prefix in self.items and len(p) > n and isinstance(p[n], int) and 0 <= p[n] < len(self.items[prefix]):
                f, j = self.items[prefix][p[n]]
                return f, [*prefix, j, *p[n + 1:]]
        if len(p) >= 2 and (p[0], p[1]) in self.ids:
            return self.ids[(p[0], p[1])], p
        for n in (2, 1):
            if tuple(p[:n]) in self.keys:
                return self.keys[tuple(p[:n])], p
        return default, p

    def _tree(self, file: str) -> Node | None:
        if file not in self._trees:
            self._trees[file] = compose(self.texts[file], file) if file in self.texts else None
        return self._trees[file]

    def _pairs(self, node: MappingNode, file: str) -> dict[Any, tuple[Node, Node]]:
        idx = self._pairs_cache.get(id(node))
        if idx is None:
            _flatten(node, file)
            idx = {}
            for k, v in node.value:
                if isinstance(k, ScalarNode):
                    idx.setdefault(scalar(k, file), (k, v))
            self._pairs_cache[id(node)] = idx
        return idx
