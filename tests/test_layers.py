"""Design §2: the core (model, standard, analysis, traffic) never imports the faces or storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "zonewarden"
CORE = ("model", "standard", "analysis", "traffic", "advisories")
FORBIDDEN = ("cli", "web", "store", "render")


def _imports(path: Path) -> set[str]:
    mods: set[str] = set()
    pkg = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg[: len(pkg) - node.level + 1])
                mods.add(".".join([*base, node.module] if node.module else base))
                if not node.module:
                    mods.update(".".join([*base, a.name]) for a in node.names)
            elif node.module:
                mods.add(node.module)
    return mods


@pytest.mark.parametrize("layer", CORE)
def test_core_layer_does_not_import_faces(layer):
    for path in (SRC / layer).rglob("*.py"):
        bad = {m for m in _imports(path) if any(m.startswith(f"zonewarden.{f}") for f in FORBIDDEN)}
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_layer_test_sees_relative_imports():
    assert "zonewarden.render.findings" in _imports(SRC / "cli.py")
