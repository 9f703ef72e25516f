"""A discovered draft as plant YAML (format 1), each guess followed by its evidence as a comment."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from pathlib import Path
from typing import Any

from ..analysis.discover import Additions, Draft


def _s(value: object) -> str:
    """A YAML scalar: JSON's quoting is valid YAML and never ambiguous."""
    return json.dumps(value)


def draft_yaml(draft: Draft, sources: list[str], name: str = "Discovered plant") -> str:
    today = dt.date.today().isoformat()
    out = [
        "# A DRAFT written by `zonewarden discover` from traffic; every guess says why in a comment.",
        f"# Sources: {', '.join(sources)} ({draft.flows} flows). Review zones, functions and rules before use:",
        "# discovery sees who talked, not who should. `zonewarden check` and `zonewarden traffic` run on it as is.",
        "zonewarden: 1",
        f"plant: {{name: {_s(name)}, description: {_s(f'Drafted from traffic on {today}')}}}",
        "",
        "zones:" if draft.zones else "zones: {}",
    ]
    for z in draft.zones.values():
        out.append(f"  {z.id}:  # {z.evidence}")
        out.append(f"    name: {_s(z.name)}")
        out.append(f"    kind: {z.kind}")
        out.append(f"    level: {z.level:g}")
        if z.trust != "trusted":
            out.append(f"    trust: {z.trust}")
        if z.networks:
            out.append(f"    networks: [{', '.join(_s(n) for n in z.networks)}]")
    out += ["", "conduits:" if draft.conduits else "conduits: {}"]
    for cid, (za, zb, rules) in draft.conduits.items():
        out.append(f"  {cid}:")
        out.append(f"    zones: [{za}, {zb}]")
        out.append("    flows:")
        for r in rules:
            out.append(_rule_line("      ", r))
    out += ["", "assets:" if draft.hosts else "assets: {}"]
    for h in draft.hosts.values():
        out.append(f"  {h.id}:  # {h.function}: {h.evidence}")
        out.append(f"    zone: {h.zone}")
        out.append(f"    type: {h.type}")
        out.append(f"    function: {h.function}")
        out.append(f"    addresses: [{_s(h.address)}]")
        if h.mac:
            out.append(f"    macs: [{_s(h.mac)}]")
        if h.vendor:
            out.append(f"    vendor: {_s(h.vendor)}  # from the MAC's OUI (IEEE registry)")
    return "\n".join(out) + "\n"


DISCOVERED = "discovered.yaml"


def _rule_line(indent: str, r) -> str:
    ops = f", ops: [{', '.join(r.ops)}]" if r.ops else ""
    protocol = f"protocol: {_s(r.protocol)}, " if r.protocol else ""
    return f"{indent}- {{from: {r.src}, to: {r.dst}, {protocol}port: {r.port}{ops}}}  # {r.evidence}"


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """Index of the last line of the block that starts at `start` (0-based): lines indented deeper than
    `indent` continue it; blank and comment lines in between belong to it only if content follows."""
    last = start
    for k in range(start + 1, len(lines)):
        text = lines[k]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if len(text) - len(text.lstrip()) <= indent:
            break
        last = k
    return last


def _free_name(root: Path) -> str:
    """discovered.yaml, or discovered-2.yaml ... when an earlier run's file is there."""
    name, n = DISCOVERED, 1
    while (root / name).exists():
        n += 1
        name = f"discovered-{n}.yaml"
    return name


def patch_text(plant_path: Path, plant: Any, add: Additions, sources: list[str]) -> str:
    """A unified diff (for `git apply` or `patch -p1`, from the plant's folder) that adds a new file
    (`discovered.yaml`, or `discovered-N.yaml` after earlier runs) with the new zones, conduits and assets,
    and inserts the rules for existing conduits and zones in place, where their `flows` is a block list.
    Rules for a flow-style list are written in the new file's header, to be added by hand."""
    root = (plant_path if plant_path.is_dir() else plant_path.parent).resolve()
    edits: dict[str, list[str]] = {}  # file relative to root -> its lines (ends kept), edited
    originals: dict[str, list[str]] = {}
    by_hand: list[str] = []

    def lines_of(file: str | Path) -> list[str]:
        rel = os.path.relpath(Path(file).resolve(), root)
        if rel not in edits:
            originals[rel] = Path(file).read_text().splitlines(keepends=True)
            edits[rel] = list(originals[rel])
        return edits[rel]

    inserts: dict[str, list[tuple[int, list[str]]]] = {}
    for (section, ident), rules in sorted(add.rules.items()):
        flows = getattr(plant, section)[ident].flows
        loc = plant._sources.locate((section, ident, "flows", len(flows) - 1)) if flows else None
        text = lines_of(loc.file) if loc is not None else []
        start = loc.line - 1 if loc is not None else -1
        if start < 0 or start >= len(text) or not text[start].lstrip().startswith("- "):
            by_hand.append(f"# add to the flows of {section[:-1]} {ident} (written inline, so not edited):")
            by_hand += [_rule_line("#   ", r) for r in rules]
            continue
        indent = len(text[start]) - len(text[start].lstrip())
        end = _block_end(text, start, indent)
        inserts.setdefault(os.path.relpath(Path(loc.file).resolve(), root), []).append(
            (end + 1, [_rule_line(" " * indent, r) + "\n" for r in rules]))
    for rel, items in inserts.items():
        text = edits[rel]
        for at, new in sorted(items, reverse=True):
            text[at:at] = new
    name = _free_name(root)
    new_file = [f"# Added by `zonewarden discover --into` from {', '.join(sources)}: review every line.", *by_hand]
    if add.zones:
        new_file.append("zones:")
        for z in add.zones.values():
            nets = f", networks: [{', '.join(_s(n) for n in z.networks)}]" if z.networks else ""
            new_file.append(f"  {z.id}: {{name: {_s(z.name)}, kind: {z.kind}, level: {z.level:g}{nets}}}"
                            f"  # {z.evidence}")
    if add.conduits:
        new_file.append("conduits:")
        for cid, (za, zb, rules) in add.conduits.items():
            new_file += [f"  {cid}:", f"    zones: [{za}, {zb}]", "    flows:"]
            new_file += [_rule_line("      ", r) for r in rules]
    if add.assets:
        new_file.append("assets:")
        for h in add.assets:
            extra = (f", macs: [{_s(h.mac)}]" if h.mac else "") + (f", vendor: {_s(h.vendor)}" if h.vendor else "")
            new_file.append(f"  {h.id}: {{zone: {h.zone}, type: {h.type}, function: {h.function}, "
                            f"addresses: [{_s(h.address)}]{extra}}}  # {h.function}: {h.evidence}")
    writes_file = len(new_file) > 1
    if writes_file and not plant_path.is_dir():  # a single plant file reads the new file only through `include:`
        text = lines_of(plant_path)
        for i, line in enumerate(text):
            if line.startswith("include:") and line.rstrip().endswith("]"):
                inner = line.split("[", 1)[1].rsplit("]", 1)[0].strip()
                text[i] = f"include: [{inner + ', ' if inner else ''}{name}]\n"
                break
            if line.startswith("include:"):
                text.insert(i + 1, f"  - {name}\n")
                break
        else:
            at = next((i + 1 for i, line in enumerate(text) if line.startswith("zonewarden:")), 0)
            text.insert(at, f"include: [{name}]\n")
    diff: list[str] = []
    for rel in sorted(originals):
        old, new = originals[rel], edits[rel]
        if old == new:
            continue
        new = [line if line.endswith("\n") or i == len(new) - 1 else line + "\n" for i, line in enumerate(new)]
        for line in difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"):
            # a file without a final newline: say so, as diff does, or the patch will not apply
            diff.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    if writes_file:
        diff += ["--- /dev/null\n", f"+++ b/{name}\n", f"@@ -0,0 +1,{len(new_file)} @@\n",
                 *(f"+{line}\n" for line in new_file)]
    return "".join(diff)
