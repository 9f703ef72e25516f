"""Read plant files: YAML through libyaml's composer, so every value keeps its file, line and column.

PyYAML's C composer builds the node tree fast; we turn nodes into plain Python data ourselves,
remembering which node each container came from. Nothing is guessed: a duplicate key is a
problem, not a silent overwrite, and any pydantic error is mapped back to the node it is about.
`include:` merges further files (design §3); see docs/model.md#splitting-a-plant-over-files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Location, PlantInvalid, PlantReadError, Problem
from .plant import Plant

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is part of PyYAML's wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"
YAML_SUFFIXES = (".yaml", ".yml")
MAPPING_SECTIONS = ("roles", "zones", "conduits", "assets", "countermeasures")
LIST_SECTIONS = ("compensations",)
_scalar_ctor = yaml.constructor.SafeConstructor()


@dataclass
class SourceMap:
    """Maps data paths (('assets', 'plc-1', 'zone')) back to the file position that produced them."""

    root: Any = None
    files: list[str] = field(default_factory=list)
    _nodes: dict[int, tuple[str, Node]] = field(default_factory=dict)
    _key_origin: dict[int, dict[Any, tuple[str, MappingNode]]] = field(default_factory=dict)
    _index: dict[int, dict[Any, tuple[Node, Node]]] = field(default_factory=dict)
    _keep: list[Any] = field(default_factory=list)

    def locate(self, path: Iterable[Any], *, key: bool = False) -> Location | None:
        """Position of the value at `path` (or of its key, with key=True); skips unknown path parts."""
        obj = self.root
        best = self._nodes.get(id(obj))
        steps = list(path)
        for i, step in enumerate(steps):
            last = i == len(steps) - 1
            if isinstance(obj, dict):
                if step not in obj:
                    continue
                origin = self._key_origin.get(id(obj), {}).get(step) or self._nodes.get(id(obj))
                child = obj[step]
                if origin is not None and isinstance(origin[1], MappingNode):
                    pair = self._pairs(origin[1]).get(step)
                    if pair is not None:
                        best = (origin[0], pair[0] if key and last else pair[1])
            elif isinstance(obj, list):
                if not isinstance(step, int) or not 0 <= step < len(obj):
                    continue
                child = obj[step]
                here = self._nodes.get(id(obj))
                if here is not None and isinstance(here[1], SequenceNode) and step < len(here[1].value):
                    best = (here[0], here[1].value[step])
            else:
                break
            if isinstance(child, dict | list) and id(child) in self._nodes and not (key and last):
                best = self._nodes[id(child)]
            obj = child
        if best is None:
            return Location(self.files[0], 1, 1) if self.files else None
        f, node = best
        return Location(f, node.start_mark.line + 1, node.start_mark.column + 1)

    def _pairs(self, node: MappingNode) -> dict[Any, tuple[Node, Node]]:
        idx = self._index.get(id(node))
        if idx is None:
            idx = {}
            for k, v in node.value:
                if isinstance(k, ScalarNode):
                    idx.setdefault(_scalar(k, ""), (k, v))
            self._index[id(node)] = idx
        return idx


def _scalar(node: ScalarNode, file: str) -> Any:
    if node.tag == STR:
        return node.value
    ctor = _scalar_ctor.yaml_constructors.get(node.tag)
    if ctor is None or node.tag.endswith(("binary", "set", "omap", "pairs")):
        raise PlantReadError(f"unsupported YAML tag {node.tag!r}; plant files use plain YAML values",
                             _loc(file, node))
    try:
        return ctor(_scalar_ctor, node)
    except (ValueError, yaml.YAMLError) as e:
        raise PlantReadError(f"cannot read value {node.value!r} as {node.tag.rsplit(':', 1)[-1]}: {e}",
                             _loc(file, node)) from None


def _loc(file: str, node: Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node tree into dicts/lists/scalars, registering every container's node."""

    def __init__(self, sources: SourceMap, problems: list[Problem]) -> None:
        self.sources = sources
        self.problems = problems
        self.nodes = sources._nodes

    def build(self, node: Node, file: str, section: str | None = None) -> Any:
        """`section` is the top-level key when building its value (to name duplicate assets)."""
        cls = node.__class__
        if cls is ScalarNode:
            return node.value if node.tag == STR else _scalar(node, file)  # type: ignore[arg-type]
        if cls is SequenceNode:
            out_list = [
                v.value if v.__class__ is ScalarNode and v.tag == STR else self.build(v, file)
                for v in node.value
            ]
            self.nodes[id(out_list)] = (file, node)
            return out_list
        if cls is MappingNode:
            if any(k.tag == MERGE for k, _ in node.value):
                _scalar_ctor.flatten_mapping(node)
            out: dict[Any, Any] = {}
            self.nodes[id(out)] = (file, node)
            top = section == ""
            for k, v in node.value:
                if k.__class__ is ScalarNode:
                    key = k.value if k.tag == STR else _scalar(k, file)
                else:
                    raise PlantReadError("a mapping key must be a plain value, not a list or mapping",
                                         _loc(file, k))
                if key in out:
                    self._duplicate(out, key, k, v, file, section)
                    continue
                if v.__class__ is ScalarNode and v.tag == STR:
                    out[key] = v.value
                else:
                    out[key] = self.build(v, file, key if top else None)
            return out
        raise PlantReadError(f"unexpected YAML node {cls.__name__}", _loc(file, node))  # pragma: no cover

    def _duplicate(self, out: dict[Any, Any], key: Any, knode: Node, vnode: Node, file: str,
                   section: str | None) -> None:
        first_k, first_v = self.sources._pairs(self.nodes[id(out)][1])[key]
        first_loc = _loc(file, first_k)
        rule, msg = "duplicate-id", f"{key!r} is defined twice in the same mapping (first at line {first_loc.line})"
        if section == "assets":
            zones = [_zone_of(n) for n in (first_v, vnode)]
            if zones[0] != zones[1]:
                rule = "asset-in-two-zones"
                msg = (f"asset {key!r} is placed in zone {zones[1]!r} here and in zone {zones[0]!r} "
                       f"at line {first_loc.line}")
        self.problems.append(Problem(rule, msg + "; an id is defined once", _loc(file, knode),
                                     related=(first_loc,)))


def _zone_of(node: Node) -> Any:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == "zone" and isinstance(v, ScalarNode):
                return v.value
    return None


def _compose(path: Path, display: str) -> Node | None:
    try:
        with open(path, "rb") as fh:
            return yaml.compose(fh, Loader=_Loader)
    except FileNotFoundError:
        raise PlantReadError(f"{display}: no such file") from None
    except IsADirectoryError:
        raise PlantReadError(f"{display}: is a folder, expected a YAML file") from None
    except PermissionError:
        raise PlantReadError(f"{display}: permission denied") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise PlantReadError(f"YAML syntax error: {what}",
                             Location(display, mark.line + 1, mark.column + 1) if mark else None) from None
    except yaml.YAMLError as e:
        raise PlantReadError(f"{display}: not valid YAML ({e})") from None
    except UnicodeDecodeError as e:
        raise PlantReadError(f"{display}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return rel if not rel.startswith("../../") else str(path)


def _plant_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
        if not files:
            raise PlantReadError(f"{_display(path)}: folder holds no .yaml or .yml file")
        return files
    return [path]


@dataclass
class RawPlant:
    """A plant as plain data plus its source map and the problems found while reading it."""

    data: dict[str, Any]
    sources: SourceMap
    problems: list[Problem]


def read_raw(path: str | os.PathLike[str]) -> RawPlant:
    """Read a plant file or folder, following `include:`; raise PlantReadError if it cannot be read."""
    root = Path(path)
    if not root.exists():
        raise PlantReadError(f"{_display(root)}: no such file or folder")
    sources = SourceMap()
    problems: list[Problem] = []
    builder = _Builder(sources, problems)
    docs: list[tuple[str, dict[str, Any]]] = []
    seen: set[Path] = set()

    def visit(p: Path, via: Location | None) -> None:
        real = p.resolve()
        disp = _display(p)
        if real in seen:
            raise PlantReadError(f"{disp} is included twice (or includes itself)", via)
        seen.add(real)
        if not p.exists():
            raise PlantReadError(f"included file {disp}: no such file or folder", via)
        node = _compose(p, disp)
        sources.files.append(disp)
        if node is None:
            raise PlantReadError(f"{disp}: file is empty; expected a mapping such as `zonewarden: 1`")
        if not isinstance(node, MappingNode):
            raise PlantReadError("the top level of a plant file must be a mapping of sections "
                                 "(zonewarden, plant, zones, ...)", _loc(disp, node))
        data = builder.build(node, disp, "")
        docs.append((disp, data))
        inc = data.get("include", [])
        if isinstance(inc, str):
            inc = [inc]
        if not isinstance(inc, list):
            raise PlantReadError("`include` is a list of file or folder paths",
                                 sources.locate(["include"]) if len(docs) == 1 else None)
        for j, item in enumerate(inc):
            here = _item_location(sources, data, j)
            if not isinstance(item, str):
                raise PlantReadError("`include` entries are file or folder paths", here)
            for f in _plant_files(p.parent / item) if (p.parent / item).exists() else [p.parent / item]:
                visit(f, here)

    for f in _plant_files(root):
        visit(f, None)
    data = docs[0][1] if len(docs) == 1 else _merge(docs, sources, problems)
    sources.root = data
    sources._keep.append(data)
    return RawPlant(data, sources, problems)


def _item_location(sources: SourceMap, data: dict[str, Any], j: int) -> Location | None:
    inc = data.get("include")
    if id(inc) in sources._nodes:
        f, node = sources._nodes[id(inc)]
        if isinstance(node, SequenceNode) and j < len(node.value):
            return _loc(f, node.value[j])
    if id(data) in sources._nodes:
        f, node = sources._nodes[id(data)]
        return _loc(f, node)
    return None


def _merge(docs: list[tuple[str, dict[str, Any]]], sources: SourceMap,
           problems: list[Problem]) -> dict[str, Any]:
    """Merge partial plants: sections of ids by id, lists by concatenation, the rest defined once."""
    merged: dict[str, Any] = {}
    origin: dict[Any, tuple[str, MappingNode]] = {}
    sources._key_origin[id(merged)] = origin
    for file, data in docs:
        node = sources._nodes[id(data)][1]
        for key, value in data.items():
            if key in MAPPING_SECTIONS and isinstance(value, dict):
                _merge_ids(merged, origin, key, value, file, node, sources, problems)
            elif key in LIST_SECTIONS and isinstance(value, list):
                merged.setdefault(key, [])
                if isinstance(merged[key], list):
                    merged[key].extend(value)
                origin.setdefault(key, (file, node))
            elif key == "risk" and isinstance(value, dict) and isinstance(merged.get("risk"), dict):
                _merge_risk(merged, value, file, sources, problems)
            elif key == "include" or (key == "zonewarden" and key in merged and merged[key] == value):
                continue
            elif key in merged:
                first = sources.locate([key])
                problems.append(Problem(
                    "duplicate-id", f"section {key!r} is defined in more than one file"
                    + (f" (first in {first.file}:{first.line})" if first else "")
                    + "; define it once", _key_loc(sources, file, node, key), related=(first,) if first else ()))
            else:
                merged[key] = value
                origin[key] = (file, node)
                if key == "risk" and isinstance(value, dict):
                    merged[key] = dict(value)
                    sources._key_origin[id(merged[key])] = {k: (file, sources._nodes[id(value)][1])
                                                             for k in value}
                    if isinstance(value.get("scenarios"), list):
                        merged[key]["scenarios"] = list(value["scenarios"])
                    sources._keep.append(value)
    return merged


def _key_loc(sources: SourceMap, file: str, node: MappingNode, key: Any) -> Location | None:
    pair = sources._pairs(node).get(key)
    return _loc(file, pair[0]) if pair else None


def _merge_ids(merged: dict[str, Any], origin: dict[Any, tuple[str, MappingNode]], key: str,
               value: dict[str, Any], file: str, node: MappingNode, sources: SourceMap,
               problems: list[Problem]) -> None:
    section = merged.get(key)
    if section is None:
        section = merged[key] = {}
        sources._key_origin[id(section)] = {}
        origin[key] = (file, node)
        sources._keep.append(value)
    if not isinstance(section, dict):
        return
    sec_origin = sources._key_origin[id(section)]
    vnode = sources._nodes[id(value)][1]
    for ident, body in value.items():
        if ident in section:
            first = sources.locate([key, ident], key=True)
            here = _key_loc(sources, file, vnode, ident)  # type: ignore[arg-type]
            rule, what = "duplicate-id", f"{key[:-1] if key != 'countermeasures' else 'countermeasure'} id"
            if key == "assets" and isinstance(body, dict) and isinstance(section[ident], dict) \
                    and body.get("zone") != section[ident].get("zone"):
                rule = "asset-in-two-zones"
                msg = (f"asset {ident!r} is placed in zone {body.get('zone')!r} here and in zone "
                       f"{section[ident].get('zone')!r} in {first.file}:{first.line}" if first else "")
            else:
                msg = f"{what} {ident!r} is defined again" + (f" (first in {first})" if first else "")
            problems.append(Problem(rule, msg + "; an id is defined once", here,
                                    related=(first,) if first else ()))
            continue
        section[ident] = body
        sec_origin[ident] = (file, vnode)  # type: ignore[assignment]


def _merge_risk(merged: dict[str, Any], value: dict[str, Any], file: str, sources: SourceMap,
                problems: list[Problem]) -> None:
    risk = merged["risk"]
    rnode = sources._nodes[id(value)][1]
    rorigin = sources._key_origin.setdefault(id(risk), {})
    for k, v in value.items():
        if k == "scenarios" and isinstance(v, list) and isinstance(risk.get("scenarios"), list):
            risk["scenarios"].extend(v)
        elif k in risk:
            first = sources.locate(["risk", k], key=True)
            problems.append(Problem("duplicate-id", f"risk.{k} is defined in more than one file"
                                    + (f" (first in {first})" if first else "") + "; define it once",
                                    _key_loc(sources, file, rnode, k), related=(first,) if first else ()))
        else:
            risk[k] = v
            rorigin[k] = (file, rnode)  # type: ignore[assignment]


# -- validation -------------------------------------------------------------------------------

_PYDANTIC_RULES = {
    "extra_forbidden": "unknown-key",
    "missing": "missing-field",
    "sl_vector": "sl-range",
    "literal_error": "invalid-value",
}


def _problem_from_error(err: Any, sources: SourceMap) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    rule = _PYDANTIC_RULES.get(kind, "invalid-value")
    field_name = _data_path(loc, sources.root)
    if kind == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}; see `zonewarden schema` or docs/model.md for the keys allowed here"
    elif kind == "missing":
        msg = f"missing required key {loc[-1]!r}"
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        msg = f"{field_name}: {err['input']!r} is not allowed; expected {expected}"
    elif kind in ("greater_than_equal", "less_than_equal") and _is_sl_path(loc):
        rule = "sl-range"
        msg = f"{field_name}: {err['msg'].lower()}"
    else:
        msg = f"{field_name}: {err['msg']}" if field_name else err["msg"]
        msg = msg.replace("Value error, ", "")
    return Problem(rule, msg, sources.locate(loc, key=kind == "extra_forbidden"), loc)


def _data_path(loc: tuple[Any, ...], data: Any) -> str:
    """The error's location as the user wrote it: pydantic's union-branch labels dropped."""
    parts: list[str] = []
    for step in loc:
        in_dict = isinstance(data, dict) and step in data
        in_list = isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        if in_dict or in_list:
            data = data[step]
        elif step == loc[-1] and isinstance(data, dict):
            pass
        else:
            continue
        parts.append(f"[{step}]" if isinstance(step, int) else str(step))
    return ".".join(parts).replace(".[", "[")


def _is_sl_path(loc: tuple[Any, ...]) -> bool:
    return any(x in ("sl", "sl_target", "baseline") for x in loc)


def validate_raw(raw: RawPlant) -> Plant:
    """Validate plain data against the model; raise PlantInvalid with every problem, located."""
    problems = list(raw.problems)
    plant: Plant | None = None
    version = raw.data.get("zonewarden")
    if "zonewarden" in raw.data and (isinstance(version, bool) or version != 1):
        problems.append(Problem(
                "format-version", f"format version {raw.data['zonewarden']!r} is not supported; "
                "this zonewarden reads `zonewarden: 1`", raw.sources.locate(["zonewarden"]), ("zonewarden",)))
    try:
        plant = Plant.model_validate(raw.data)
    except ValidationError as e:
        for err in e.errors(include_url=False):
            if tuple(err["loc"]) == ("zonewarden",) and any(p.rule == "format-version" for p in problems):
                continue
            if tuple(err["loc"]) == ("zonewarden",) and err["type"] == "missing":
                problems.append(Problem("format-version", "missing `zonewarden: 1` (the format version) "
                                        "at the top of the plant file", raw.sources.locate([]), ()))
                continue
            problems.append(_problem_from_error(err, raw.sources))
    if problems:
        problems.sort(key=lambda p: (p.location or Location("", 0, 0)))
        raise PlantInvalid(problems)
    assert plant is not None
    plant._sources = raw.sources
    return plant


def load_plant(path: str | os.PathLike[str]) -> Plant:
    """Read and validate a plant; raises PlantReadError (unreadable) or PlantInvalid (invalid)."""
    return validate_raw(read_raw(path))
