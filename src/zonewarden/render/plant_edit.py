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
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long lines
    text = file.read_text(encoding="utf-8")
    doc = yaml.load(text)
    node = doc["assets"][asset]
    cap = node.get("capability")
    if cap is None:
        cap = CommentedMap()
        node["capability"] = cap
    meets = cap.get("meets")
    if meets is None:
        meets = CommentedSeq()
        meets.fa.set_flow_style()
        cap["meets"] = meets
    have = [str(m) for m in meets]
    added = [r for r in add if r not in have]
    removed = [r for r in remove if r in have]
    if not added and not removed:
        return [], []
    for r in removed:
        del meets[have.index(r)]
        have.remove(r)
    meets.extend(added)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    write_atomic(file, buf.getvalue())
    return added, removed


def set_asset_field(file: Path, asset: str, key: str, value: str) -> None:
    """Set `assets.<asset>.<key>` to a scalar in `file`, keeping the rest of the file as it was."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    doc = yaml.load(file.read_text(encoding="utf-8"))
    doc["assets"][asset][key] = value
    buf = io.StringIO()
    yaml.dump(doc, buf)
    write_atomic(file, buf.getvalue())
