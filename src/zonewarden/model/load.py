"""Read a plant: one YAML file or a folder, `include:` followed, partial plants merged by id.

Nothing is guessed: a duplicate id across files is a problem that names both places, and any
pydantic error is mapped back to the file, line and column it is about (see `source.SourceMap`).
Merge rules and examples: docs/model.md#splitting-a-plant-over-files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from yaml.nodes import MappingNode, SequenceNode

from .diagnostics import Location, PlantInvalid, PlantReadError, Problem, dotted_path
from .files import path_kind, read_regular, resolved
from .plant import Plant
from .source import SourceMap, build, compose, loc, paused_gc

YAML_SUFFIXES = (".yaml", ".yml")
TRACKING_FILENAME = "tracking.yaml"  # lives beside the plant files; never read as part of the plant
MAPPING_SECTIONS = ("roles", "zones", "conduits", "assets", "countermeasures")
LIST_SECTIONS = ("compensations",)


@dataclass
class RawPlant:
    """A plant as plain data, its source map, and the problems found while reading it."""

    data: dict[str, Any]
    sources: SourceMap
    problems: list[Problem]


def display_path(path: Path) -> str:
    """How a file is named in messages: relative to the working folder when inside it, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path.absolute())
    return str(path.absolute()) if rel == ".." or rel.startswith(("../", "..\\")) else rel


def _plant_files(path: Path, via: Location | None = None) -> list[Path]:
    """A file as it is; a folder as its YAML files in name order (hidden files such as ._x.yaml skipped)."""
    if path_kind(path, display_path(path), via) != "dir":
        return [path]
    try:
        entries = sorted(path.iterdir())
    except OSError as e:
        raise PlantReadError(f"{display_path(path)}: cannot list the folder ({e.strerror})", via) from None
    files = [p for p in entries if p.suffix.lower() in YAML_SUFFIXES and not p.name.startswith(".")
             and p.name != TRACKING_FILENAME]
    for p in files:
        if path_kind(p, display_path(p), via) != "file":
            raise PlantReadError(f"{display_path(p)}: not a readable file (a broken link?)", via)
    if not files:
        raise PlantReadError(f"{display_path(path)}: folder holds no .yaml or .yml file", via)
    return files


def read_raw(path: str | os.PathLike[str], *, within: str | os.PathLike[str] | None = None) -> RawPlant:
    """Read a plant file or folder, following `include:`; raise PlantReadError if it cannot be read.
    `within`: a folder every file read must lie in, as regular files (for plants from elsewhere, such as the
    web app's uploads, whose `include:` must not reach the server's other files)."""
    root = Path(path)
    fence = Path(within).resolve() if within is not None else None
    if path_kind(root, display_path(root)) == "missing":
        raise PlantReadError(f"{display_path(root)}: no such file or folder")
    sources = SourceMap()
    problems: list[Problem] = []
    docs: list[tuple[str, dict[str, Any]]] = []
    seen: set[Path] = set()

    def visit(p: Path, via: Location | None) -> None:
        disp = display_path(p)
        real = resolved(p, disp, via)
        if real in seen:
            raise PlantReadError(f"{disp} is included twice (or includes itself)", via)
        seen.add(real)
        if fence is not None and (fence not in real.parents or not real.is_file()):
            raise PlantReadError(f"{disp}: outside the plant's own files (or not a regular file); an included "
                                 "file must be one of the files uploaded with the plant", via)
        text = read_regular(p, disp, via, what="included file" if via else "file")
        node = compose(text, disp)
        sources.files.append(disp)
        sources.texts[disp] = text
        if node is None:
            raise PlantReadError(f"{disp}: file is empty; expected a mapping such as `zonewarden: 1`", via)
        if not isinstance(node, MappingNode):
            raise PlantReadError("the top level of a plant file must be a mapping of sections "
                                 "(zonewarden, plant, zones, ...)", loc(disp, node))
        with paused_gc():
            data = build(node, disp, problems)
        docs.append((disp, data))
        for item, where in _includes(node, disp, data):
            target = p.parent / item
            tdisp = display_path(target)
            kind = path_kind(target, tdisp, where)
            real_target = resolved(target, tdisp, where)
            if fence is not None and fence != real_target and fence not in real_target.parents:
                raise PlantReadError(f"`include: {item!r}` is outside the plant's own files; an included file "
                                     "must be one of the files uploaded with the plant", where)
            if kind == "dir" and real_target == resolved(p.parent, display_path(p.parent), where):
                raise PlantReadError(f"`include: {item!r}` names the folder of {disp} itself", where)
            for f in _plant_files(target, where) if kind != "missing" else [target]:
                visit(f, where)

    for f in _plant_files(root):
        visit(f, None)
    data = docs[0][1] if len(docs) == 1 else _merge(docs, sources, problems)
    sources.root = data
    return RawPlant(data, sources, problems)


def _includes(node: MappingNode, file: str, data: dict[str, Any]) -> list[tuple[str, Location]]:
    inc = data.get("include")
    if inc is None:
        return []
    _, vnode = next((k, v) for k, v in node.value if getattr(k, "value", None) == "include")
    if isinstance(inc, str):
        inc = [inc]
        vnode = SequenceNode("tag:yaml.org,2002:seq", [vnode], vnode.start_mark, vnode.end_mark)
    if not isinstance(inc, list) or not isinstance(vnode, SequenceNode):
        raise PlantReadError("`include` is a list of file or folder paths", loc(file, vnode))
    out = []
    for item, n in zip(inc, vnode.value, strict=True):
        if not isinstance(item, str) or not item.strip() or "\0" in item:
            raise PlantReadError("`include` entries are file or folder paths", loc(file, n))
        out.append((item, loc(file, n)))
    return out


def _merge(docs: list[tuple[str, dict[str, Any]]], sources: SourceMap, problems: list[Problem]) -> dict[str, Any]:
    """Merge partial plants: sections of ids by id, lists by concatenation, everything else defined once."""
    merged: dict[str, Any] = {}

    def twice(what: str, path: tuple[Any, ...], file: str, first_path: tuple[Any, ...]) -> None:
        first = sources.locate(first_path, key=True)
        here = _here(sources, file, path)
        problems.append(Problem("duplicate-id", f"{what} is defined in more than one file"
                                + (f" (first in {first})" if first else "") + "; define it once",
                                here, related=(first,) if first else ()))

    for file, data in docs:
        for key, value in data.items():
            if key == "include" and "include" in merged:  # the root file's list stays, for the record
                continue
            if key == "zonewarden" and merged.get(key) == value:
                continue
            if key in MAPPING_SECTIONS and isinstance(value, dict) and isinstance(merged.get(key, {}), dict):
                section = merged.setdefault(key, {})
                for ident, body in value.items():
                    if ident in section:
                        _duplicate_id(sources, problems, key, ident, body, section[ident], file)
                    else:
                        section[ident] = body
                        sources.ids[(key, ident)] = file
            elif key in LIST_SECTIONS and isinstance(value, list) and isinstance(merged.get(key, []), list):
                merged.setdefault(key, []).extend(value)
                sources.items.setdefault((key,), []).extend((file, j) for j in range(len(value)))
            elif key == "risk" and isinstance(value, dict) and isinstance(merged.get(key, {}), dict):
                risk = merged.setdefault("risk", {})
                for k, v in value.items():
                    if k == "scenarios" and isinstance(v, list) and isinstance(risk.get(k, []), list):
                        risk.setdefault(k, []).extend(v)
                        sources.items.setdefault(("risk", "scenarios"), []).extend((file, j) for j in range(len(v)))
                    elif k in risk:
                        twice(f"risk.{k}", ("risk", k), file, ("risk", k))
                    else:
                        risk[k] = v
                        sources.keys[("risk", k)] = file
                sources.keys.setdefault(("risk",), file)
            elif key in merged:
                twice(f"section {key!r}", (key,), file, (key,))
            else:
                merged[key] = value
                sources.keys[(key,)] = file
    return merged


def _here(sources: SourceMap, file: str, path: tuple[Any, ...]) -> Location | None:
    """Position of `path` in one given file (not where the merged plant says it comes from)."""
    single = SourceMap(files=[file], texts={file: sources.texts[file]})
    return single.locate(path, key=True)


def _duplicate_id(sources: SourceMap, problems: list[Problem], section: str, ident: Any, body: Any,
                  first_body: Any, file: str) -> None:
    first = sources.locate((section, ident), key=True)
    here = _here(sources, file, (section, ident))
    where = f" (first in {first})" if first else ""
    kind = "countermeasure" if section == "countermeasures" else section[:-1]
    if section == "assets" and isinstance(body, dict) and isinstance(first_body, dict) \
            and body.get("zone") != first_body.get("zone"):
        problems.append(Problem("asset-in-two-zones", f"asset {ident!r} is placed in zone {body.get('zone')!r} here "
                                f"and in zone {first_body.get('zone')!r}{where}; an asset belongs to one zone",
                                here, related=(first,) if first else ()))
        return
    problems.append(Problem("duplicate-id", f"{kind} id {ident!r} is defined again{where}; an id is defined once",
                            here, related=(first,) if first else ()))


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
    path = _clean_loc(loc, sources.root)
    field_name = dotted_path(path)
    if kind == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}; see `zonewarden schema` or docs/model.md for the keys allowed here"
    elif kind == "missing":
        msg = f"missing required key {loc[-1]!r}"
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        msg = f"{field_name}: {err['input']!r} is not allowed; expected {expected}"
    elif kind == "string_type" and "[key]" in loc:
        section = ".".join(str(x) for x in loc[: loc.index("[key]") - 1])
        kind_name = {"int": "a number", "float": "a number", "bool": "true/false"}.get(type(err["input"]).__name__,
                                                                                    "a non-text value")
        msg = f"{section}: the id {err['input']!r} is read by YAML as {kind_name}; quote it ('{err['input']}')"
    elif kind == "string_type" and isinstance(err["input"], int | float) and not isinstance(err["input"], bool):
        msg = (f"{field_name}: expected text, got the number {err['input']!r}; quote it "
               f"(YAML reads 2.10 as the number 2.1)")
    elif kind in ("greater_than_equal", "less_than_equal") and _is_sl_path(loc):
        rule = "sl-range"
        msg = f"{field_name}: {err['msg'].lower()}"
    else:
        msg = f"{field_name}: {err['msg']}" if field_name else err["msg"]
        msg = msg.replace("Value error, ", "")
    return Problem(rule, msg, sources.locate(loc, key=kind == "extra_forbidden"), path)


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """The data path of an error: pydantic's union-branch labels (`function-after[...]`, `list[int]`) dropped."""
    out = []
    for i, step in enumerate(loc):
        in_dict = isinstance(data, dict) and step in data
        in_list = isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        if in_dict or in_list:
            data = data[step]
        elif not (i == len(loc) - 1 and isinstance(data, dict)):
            continue
        out.append(step)
    return tuple(out)


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
        with paused_gc():
            plant = Plant.model_validate(raw.data)
    except ValidationError as e:
        for err in e.errors(include_url=False):
            if tuple(err["loc"]) == ("zonewarden",) and any(p.rule == "format-version" for p in problems):
                continue
            if tuple(err["loc"]) == ("zonewarden",) and err["type"] == "missing":
                problems.append(Problem("format-version", "missing `zonewarden: 1` (the format version) "
                                        "at the top of the plant file", raw.sources.locate([]), ()))
                continue
            problem = _problem_from_error(err, raw.sources)
            if not any(p.path == problem.path and p.rule == problem.rule for p in problems):
                problems.append(problem)  # a union reports once per branch; one finding per place is enough
    if problems:
        problems.sort(key=lambda p: (p.location or Location("", 0, 0)))
        raise PlantInvalid(problems)
    assert plant is not None
    plant._sources = raw.sources
    return plant


def load_plant(path: str | os.PathLike[str]) -> Plant:
    """Read and validate a plant; raises PlantReadError (unreadable) or PlantInvalid (invalid)."""
    return validate_raw(read_raw(path))
