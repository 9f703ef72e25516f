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
            out.append(f"    networks: [{', '.join(z.networks)}]")
    out += ["", "conduits:" if draft.conduits else "conduits: {}"]
    for cid, (za, zb, rules) in draft.conduits.items():
        out.append(f"  {cid}:")
        out.append(f"    zones: [{za}, {zb}]")
        out.append("    flows:")
        for r in rules:
            ops = f", ops: [{', '.join(r.ops)}]" if r.ops else ""
            out.append(f"      - {{from: {r.src}, to: {r.dst}, protocol: {_s(r.protocol)}, port: {r.port}{ops}}}"
                       f"  # {r.evidence}")
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
    return f"{indent}- {{from: {r.src}, to: {r.dst}, protocol: {_s(r.protocol)}, port: {r.port}{ops}}}  # {r.evidence}"


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


def patch_text(plant_path: Path, plant: Any, add: Additions, sources: list[str]) -> str:
    """A unified diff (for `git apply` or `patch -p1`, from the plant's folder) that adds `discovered.yaml`
    (new zones, conduits and assets) and inserts the rules for existing conduits and zones in place."""
    root = plant_path if plant_path.is_dir() else plant_path.parent
    edits: dict[str, list[str]] = {}  # file (relative to root) -> new lines
    originals: dict[str, list[str]] = {}
    by_hand: list[str] = []

    def lines_of(file: str) -> list[str]:
        if file not in edits:
            rel = os.path.relpath(Path(file).resolve(), root.resolve())
            originals[rel] = Path(file).read_text().splitlines()
            edits[rel] = list(originals[rel])
            edits[file] = edits[rel]
        return edits[file]

    inserts: dict[str, list[tuple[int, list[str]]]] = {}
    for (section, ident), rules in sorted(add.rules.items()):
        flows = getattr(plant, section)[ident].flows
        loc = plant._sources.locate((section, ident, "flows", len(flows) - 1)) if flows else None
        if loc is None:
            by_hand.append(f"# add to {section[:-1]} {ident}'s flows:")
            by_hand += [_rule_line("#   ", r) for r in rules]
            continue
        text = lines_of(loc.file)
        start = loc.line - 1
        indent = len(text[start]) - len(text[start].lstrip())
        dash = text[start].lstrip().startswith("- ")
        if not dash:  # the locator points inside the item: walk back to its dash
            while start > 0 and not text[start].lstrip().startswith("- "):
                start -= 1
            indent = len(text[start]) - len(text[start].lstrip())
        end = _block_end(text, start, indent)
        inserts.setdefault(loc.file, []).append((end + 1, [_rule_line(" " * indent, r) for r in rules]))
    for file, items in inserts.items():
        text = lines_of(file)
        for at, new in sorted(items, reverse=True):
            text[at:at] = new
    new_file = [f"# Added by `zonewarden discover --into` from {', '.join(sources)}: review every line.", *by_hand]
    if add.zones:
        new_file.append("zones:")
        for z in add.zones.values():
            nets = f", networks: [{', '.join(z.networks)}]" if z.networks else ""
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
    diff: list[str] = []
    if not plant_path.is_dir():  # a single plant file reads the new file only through `include:`
        text = lines_of(str(plant_path))
        for i, line in enumerate(text):
            if line.startswith("include:") and line.rstrip().endswith("]"):
                inner = line.split("[", 1)[1].rsplit("]", 1)[0].strip()
                text[i] = f"include: [{inner + ', ' if inner else ''}{DISCOVERED}]"
                break
            if line.startswith("include:"):
                text.insert(i + 1, f"  - {DISCOVERED}")
                break
        else:
            at = next((i + 1 for i, line in enumerate(text) if line.startswith("zonewarden:")), 0)
            text.insert(at, f"include: [{DISCOVERED}]")
    for rel in sorted(k for k in originals):
        diff += difflib.unified_diff(originals[rel], edits[rel], f"a/{rel}", f"b/{rel}", lineterm="")
    if len(new_file) > 1:
        diff += ["--- /dev/null", f"+++ b/{DISCOVERED}", f"@@ -0,0 +1,{len(new_file)} @@",
                 *(f"+{line}" for line in new_file)]
    return "\n".join(diff) + "\n" if diff else ""
