"""Documentation that cannot drift: every command, model field and rule is documented, and the
examples in the docs run."""

from __future__ import annotations

import os
import re
import typing

import pytest
from pydantic import BaseModel

from zonewarden.analysis.checks import RULES, check_raw
from zonewarden.cli import app
from zonewarden.model.load import read_raw
from zonewarden.model.plant import Plant

from .conftest import ROOT

DOCS = ROOT / "docs"


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    if model in seen:
        return seen
    seen.add(model)
    for field in model.model_fields.values():
        for arg in _flatten(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)
    return seen


def _flatten(tp: typing.Any) -> list[typing.Any]:
    out = [tp]
    for arg in typing.get_args(tp):
        out.extend(_flatten(arg))
    return out


def test_every_model_field_is_documented():
    text = (DOCS / "model.md").read_text()
    missing = []
    for model in _models(Plant, set()):
        for name, field in model.model_fields.items():
            shown = field.alias or name
            if f"`{shown}`" not in text:
                missing.append(f"{model.__name__}.{shown}")
    assert not missing, missing


def test_every_command_is_documented():
    cli_doc = (DOCS / "cli.md").read_text()
    readme = (ROOT / "README.md").read_text()
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert names
    for name in names:
        assert f"## `zonewarden {name}" in cli_doc, name
        assert f"zonewarden {name}" in readme, name


def test_every_rule_is_documented():
    text = (DOCS / "checks.md").read_text()
    for rule in RULES.values():
        assert re.search(rf"\| `{re.escape(rule.id)}` \| {rule.severity} \|", text), rule.id


def test_complete_plant_in_model_doc_checks_clean(tmp_path):
    text = (DOCS / "model.md").read_text()
    block = text.split("## A complete small plant", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "plant.yaml"
    path.write_text(block)
    result = check_raw(read_raw(path))
    assert result.plant is not None
    assert result.findings == [], [(f.rule, f.message) for f in result.findings]


def test_readme_python_example_runs(capsys):
    text = (ROOT / "README.md").read_text()
    code = text.split("## For scripts", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    assert "{3 3 3 2 3 2 2}" in capsys.readouterr().out


@pytest.mark.parametrize("doc", ["model.md", "cli.md", "checks.md", "catalogs.md", "assessment.md", "traffic.md",
                                 "paths.md", "report.md", "lifecycle.md", "change.md", "ci.md",
                                 "crosswalk.md", "advisories.md", "web.md"])
def test_docs_exist_and_are_linked_from_the_readme(doc):
    assert (DOCS / doc).exists()
    assert f"docs/{doc}" in (ROOT / "README.md").read_text() or doc == "cli.md"


def test_readme_counts_the_rules():
    assert f"{len(RULES)} format and semantic rules" in (ROOT / "README.md").read_text()


def test_worked_example_in_assessment_doc_matches_the_command(tmp_path):
    import json

    from typer.testing import CliRunner

    text = (DOCS / "assessment.md").read_text()
    section = text.split("## Worked example", 1)[1]
    plant = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    expected = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    path = tmp_path / "plant.yaml"
    path.write_text(plant)
    res = CliRunner().invoke(app, ["assess", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == expected


def test_every_command_group_is_documented():
    cli_doc = (DOCS / "cli.md").read_text()
    for group in app.registered_groups:
        for cmd in group.typer_instance.registered_commands:
            name = f"{group.name} {cmd.name or cmd.callback.__name__}"
            assert f"## `zonewarden {name}" in cli_doc, name
            assert f"zonewarden {name}" in (ROOT / "README.md").read_text(), name


def test_traffic_doc_covers_every_decoder_log_and_column():
    from zonewarden.traffic.csvflows import OPTIONAL_COUNTS, REQUIRED
    from zonewarden.traffic.decoders import DECODERS
    from zonewarden.traffic.table import COLUMNS
    from zonewarden.traffic.zeek import OPERATION_LOGS

    text = (DOCS / "traffic.md").read_text()
    for name in DECODERS:
        assert f"### `{name}`" in text, name
    for kind in OPERATION_LOGS:
        assert f"| `{kind}` |" in text, kind
    csv_section = text.split("### CSV flows", 1)[1].split("## The flow table", 1)[0]
    table_section = text.split("## The flow table", 1)[1].split("## Applications", 1)[0]
    for column in COLUMNS:
        assert f"`{column}`" in csv_section and f"`{column}`" in table_section, column
    for column in REQUIRED:
        assert re.search(rf"`{column}`[^|]*\| yes \|", csv_section), column
    for column in OPTIONAL_COUNTS:
        assert column in csv_section


def test_traffic_doc_lists_every_verdict_kind_with_its_severity_and_requirements():
    from zonewarden.analysis.conformance import KINDS

    text = (DOCS / "traffic.md").read_text().split("## Conformance", 1)[1]
    for k in KINDS.values():
        assert re.search(rf"\| `{k.kind}` \| {k.severity}[^|]*\| {re.escape(', '.join(k.requirements))} \|", text), k
