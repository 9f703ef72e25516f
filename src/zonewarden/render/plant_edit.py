"""Edits of a user's plant file that keep its comments and layout (ruamel.yaml round trip), written atomically.

Used where a command writes back into the plant (a supplier's answers into an asset's `meets:` list);
everything else reads the plant with the fast C loader.
"""

from __future__ import annotations

import io
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
    doc = yaml.load(text)
    change(doc)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


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
