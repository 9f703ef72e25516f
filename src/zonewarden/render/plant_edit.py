"""Edits of a user's plant file that keep its comments and layout (ruamel.yaml round trip), written atomically.

Used where a command writes back into the plant (a supplier's answers into an asset's `meets:` list);
everything else reads the plant with the fast C loader.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from .output import write_atomic


def update_asset_meets(file: Path, asset: str, add: list[str], remove: list[str]) -> tuple[list[str], list[str]]:
    """Add ids to, and remove ids from, `assets.<asset>.capability.meets` in `file`; returns what changed."""
    text, added, removed = edit_asset_meets(file.read_text(encoding="utf-8"), asset, add, remove)
    if added or removed:
        write_atomic(file, text)
    return added, removed


def edit_asset_meets(text: str, asset: str, add: list[str], remove: list[str]) -> tuple[str, list[str], list[str]]:
    """`update_asset_meets` on YAML text: (the new text, ids added, ids removed)."""
    from ruamel.yaml.comments import CommentedMap

    added: list[str] = []
    removed: list[str] = []

    def change(doc) -> None:
        meets = _child(_child(doc["assets"][asset], "capability", CommentedMap), "meets", lambda: _flow([]))
        have = [str(m) for m in meets]
        added.extend(r for r in add if r not in have)
        removed.extend(r for r in remove if r in have)
        for r in removed:
            del meets[have.index(r)]
            have.remove(r)
        meets.extend(_flow(r) for r in added)

    new = _round_trip(text, change)
    return (new, added, removed) if added or removed else (text, [], [])


def set_asset_field(file: Path, asset: str, key: str, value: str) -> None:
    """Set `assets.<asset>.<key>` to a scalar in `file`, keeping the rest of the file as it was."""
    def change(doc) -> None:
        doc["assets"][asset][key] = value

    write_atomic(file, _round_trip(file.read_text(encoding="utf-8"), change))


def _child(node, key: str, make):
    """`node[key]`, made with `make()` first when missing or empty."""
    if node.get(key) is None:
        node[key] = make()
    return node[key]


def _round_trip(text: str, change) -> str:
    """`text` loaded with ruamel.yaml (comments, quotes and long lines kept), `change(doc)` applied, dumped."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long lines
    mapping, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)  # lists indented as the file indents them
    doc = yaml.load(text)
    change(doc)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


_KEY_OPENS = re.compile(r"^( *)[^\s#-][^#]*:[ \t]*(#.*)?$")  # a key whose value follows on the next lines
_ITEM = re.compile(r"^( *)- ")
_KEY = re.compile(r"^( *)[^\s#-][^:#]*:")


def _indentation(text: str) -> tuple[int, int]:
    """How the file indents (a nested mapping's keys; a block list's dashes under its key), from the first
    place that shows each, so a round trip rewrites only what it changes; ruamel's defaults (2, 0) otherwise."""
    mapping = offset = None
    opener = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if opener is not None:
            if (m := _ITEM.match(line)) and offset is None:
                offset = max(0, len(m[1]) - opener)
            elif (m := _KEY.match(line)) and mapping is None and len(m[1]) > opener:
                mapping = len(m[1]) - opener
        if mapping is not None and offset is not None:
            break
        m = _KEY_OPENS.match(line)
        opener = len(m[1]) if m else None
    return mapping or 2, offset if offset is not None else 0


def _set_fields(node, fields: dict[str, object], empty: tuple = (None,)) -> None:
    """Set each field on a mapping node (text double-quoted, lists in flow style); an `empty` value removes it."""
    for key, value in fields.items():
        if value in empty:
            node.pop(key, None)
        else:
            node[key] = _flow(value)


def _flow(value: object) -> object:
    """Lists written by a form read like the example's: one line, `[a, b]`. Text is double-quoted, so `yes`,
    `off` or `1:30` typed into a form stay text for the YAML 1.1 loader (not a boolean or a number)."""
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str):
        return DoubleQuotedScalarString(value)
    if isinstance(value, list):
        seq = CommentedSeq([_flow(v) for v in value])
        seq.fa.set_flow_style()
        return seq
    return value


def edit_mapping(text: str, path: tuple, updates: dict[str, object]) -> str:
    """Set keys of the mapping at `path` (list indexes allowed) in YAML `text`; a None value removes the key.
    Missing mappings on the way are created; comments and layout elsewhere are kept. KeyError: no such node."""
    from ruamel.yaml.comments import CommentedMap

    def change(doc) -> None:
        node = doc
        for step in path:
            if isinstance(node, list):
                if not isinstance(step, int) or not 0 <= step < len(node):
                    raise KeyError(".".join(str(p) for p in path))
                node = node[step]
                continue
            if not isinstance(node, dict):
                raise KeyError(".".join(str(p) for p in path))
            if step not in node or node[step] is None:
                if step in ("capability",):
                    node[step] = CommentedMap()
                else:
                    raise KeyError(".".join(str(p) for p in path))
            node = node[step]
        _set_fields(node, updates)

    return _round_trip(text, change)


TRACKING_HEADER = ("# Decisions on the findings of `zonewarden assess` (docs/assessment.md#tracking).\n"
                   "zonewarden-tracking: 1\nentries: []\n")


def upsert_tracking(text: str | None, fid: str, fields: dict[str, object]) -> str:
    """Set the entry for finding `fid` in a tracking file (a new file when `text` is None), keeping the rest;
    empty fields are removed from the entry."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def change(doc) -> None:
        entries = _child(doc, "entries", CommentedSeq)
        entry = next((e for e in entries if isinstance(e, dict) and e.get("id") == fid), None)
        if entry is None:
            entry = CommentedMap(id=_flow(fid))
            entry.fa.set_flow_style()
            if hasattr(entries, "fa"):
                entries.fa.set_block_style()
            entries.append(entry)
        _set_fields(entry, fields, empty=(None, ""))

    return _round_trip(text if text is not None else TRACKING_HEADER, change)


def append_patch(text: str, asset: str, entry: dict[str, object]) -> str:
    """Add one entry to `assets.<asset>.patches` in YAML `text` (the list is made when missing)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def change(doc) -> None:
        item = CommentedMap((k, _flow(v)) for k, v in entry.items())
        item.fa.set_flow_style()
        _child(doc["assets"][asset], "patches", CommentedSeq).append(item)

    return _round_trip(text, change)



def set_applicability(text: str, path: tuple[str, str], entry: dict[str, object]) -> str:
    """Record an applicability decision on the zone or conduit at `path` (("zones", id) or ("conduits", id)) in
    YAML `text`: the entry for the same requirement is replaced, else one is appended (the list is made when
    missing); empty values are left out. Only the lines of that entry change. KeyError: no such zone or conduit."""
    item = {k: v for k, v in entry.items() if v not in (None, "")}
    return _edit_decisions(text, path, str(entry["requirement"]), item)


def remove_applicability(text: str, path: tuple[str, str], requirement: str) -> str:
    """Withdraw the applicability decision on `requirement` at the zone or conduit `path` in YAML `text` (the
    key goes when its list is left empty). KeyError: no such zone, conduit or decision."""
    return _edit_decisions(text, path, requirement, None)


def _edit_decisions(text: str, path: tuple[str, str], requirement: str, item: dict[str, object] | None) -> str:
    """Set (`item`) or remove (None) the decision on `requirement` in `path`'s `applicability:` list. The lines
    of that one entry are spliced into the text, so every other line, comment and layout stays as it was; where
    the file's layout does not allow that (flow style), or the splice would not read back as the intended data,
    the whole file goes through a ruamel round trip instead."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def change(doc) -> None:
        node = _owner_node(doc, path)
        decisions = node.get("applicability")
        index = next((i for i, d in enumerate(decisions or []) if isinstance(d, dict)
                      and _same_requirement(d.get("requirement"), requirement)), None)
        if item is None:
            if index is None:
                raise KeyError(f"{'.'.join(path)}.applicability: {requirement}")
            del decisions[index]
            if not decisions:
                del node["applicability"]
            return
        new = CommentedMap((k, _flow(v)) for k, v in item.items())
        if not isinstance(decisions, list):
            decisions = node["applicability"] = CommentedSeq()
            if node.fa.flow_style():
                decisions.fa.set_flow_style()
        if index is None:
            decisions.append(new)
        else:
            decisions[index] = new

    whole = _round_trip(text, change)
    try:
        spliced = _splice_decision(text, path, requirement, item)
    except (KeyError, ValueError):
        spliced = None
    if spliced is not None:
        safe = YAML(typ="safe", pure=True)
        if safe.load(spliced) == safe.load(whole):
            return spliced
    return whole


def _splice_decision(text: str, path: tuple[str, str], requirement: str, item: dict[str, object] | None
                     ) -> str | None:
    """`_edit_decisions` by replacing, inserting or deleting the entry's own lines; None where the layout is
    not block style."""
    from ruamel.yaml import YAML

    doc = YAML().load(text)
    table = doc.get(path[0]) if isinstance(doc, dict) else None
    node = _owner_node(doc, path)
    if table.fa.flow_style() or node.fa.flow_style() or not node:
        return None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"

    def content_end(start: int, stop: int) -> int:
        """The line after the last line of content in [start, stop): trailing blanks and comments belong below."""
        end = stop
        while end > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        return end

    def next_key_line(mapping, key, fallback: int) -> int:
        keys = list(mapping)
        after = keys[keys.index(key) + 1:] if key in keys else []
        return mapping.lc.key(after[0])[0] if after else fallback

    table_end = next_key_line(doc, path[0], len(lines))
    owner_end = content_end(table.lc.key(path[1])[0] + 1, next_key_line(table, path[1], table_end))
    key_col = node.lc.key(next(iter(node)))[1]
    decisions = node.get("applicability")
    if decisions is None:
        if item is None:
            raise KeyError(requirement)
        dash = key_col + _indentation(text)[1]
        block = [" " * key_col + "applicability:\n", *_item_lines(item, dash)]
        return "".join(lines[:owner_end] + block + lines[owner_end:])
    if not isinstance(decisions, list) or decisions.fa.flow_style() or not decisions:
        return None
    key_line = node.lc.key("applicability")[0]
    list_end = content_end(key_line + 1, min(next_key_line(node, "applicability", owner_end), owner_end))
    starts = [decisions.lc.item(i)[0] for i in range(len(decisions))]
    index = next((i for i, d in enumerate(decisions) if isinstance(d, dict)
                  and _same_requirement(d.get("requirement"), requirement)), None)
    dash_match = re.match(r"^( *)- ", lines[starts[0]])
    if dash_match is None:
        return None
    dash = len(dash_match[1])
    if index is None:
        if item is None:
            raise KeyError(requirement)
        return "".join(lines[:list_end] + _item_lines(item, dash) + lines[list_end:])
    end = content_end(starts[index], starts[index + 1] if index + 1 < len(starts) else list_end)
    if item is not None:
        return "".join(lines[:starts[index]] + _item_lines(item, dash) + lines[end:])
    if len(decisions) == 1:
        return "".join(lines[:key_line] + lines[end:])
    return "".join(lines[:starts[index]] + lines[end:])


def _item_lines(item: dict[str, object], dash: int) -> list[str]:
    """One block-style list entry at column `dash`: text double-quoted, booleans and numbers bare."""
    out = []
    for i, (key, value) in enumerate(item.items()):
        lead = " " * dash + ("- " if i == 0 else "  ")
        out.append(f"{lead}{key}: {_scalar(value)}\n")
    return out


def _scalar(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _owner_node(doc, path: tuple[str, str]):
    """The mapping of the zone or conduit at `path`; KeyError when the file does not define it."""
    table = doc.get(path[0]) if isinstance(doc, dict) else None
    node = table.get(path[1]) if isinstance(table, dict) else None
    if not isinstance(node, dict):
        raise KeyError(".".join(path))
    return node


def _same_requirement(a: object, b: str) -> bool:
    from ..standard.catalog import normalize_id

    return a is not None and normalize_id(str(a)) == normalize_id(b)
