"""Findings for people (a rich table), for scripts (JSON) and for code review (SARIF 2.1.0)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import __version__
from ..analysis.findings import Finding, Rule

_STYLE = {"error": "bold red", "critical": "bold red", "high": "red", "warning": "yellow", "medium": "yellow",
          "low": "cyan", "info": "dim"}


def findings_table(findings: Sequence[Finding], title: str) -> Table:
    table = Table(title=Text(title), show_lines=False, expand=False)
    table.add_column("severity")
    table.add_column("rule")
    table.add_column("where", overflow="fold")
    table.add_column("what", overflow="fold")
    for f in findings:
        where = str(f.location) if f.location else "-"
        # user text (paths, ids, messages) goes in as Text: no markup, no emoji (`plant.yaml:100:27` stays itself)
        table.add_row(Text(f.severity, style=_STYLE.get(f.severity, "")), Text(f.rule), Text(where), Text(f.message))
    return table


def print_findings(console: Console, findings: Sequence[Finding], subject: str, counts: dict[str, int]) -> None:
    """A table on a terminal; compiler-style lines (`file:line:col: severity [rule] message`) in a pipe or log."""
    if findings and console.is_terminal:
        console.print(findings_table(findings, f"zonewarden check: {subject}"))
    else:
        for f in findings:
            where = f"{f.location}: " if f.location else ""
            console.print(f"{where}{f.severity} [{f.rule}] {f.message}", markup=False, highlight=False,
                          soft_wrap=True)
    summary = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items())
    mark = Text("✓", style="green") if not counts.get("error") else Text("✗", style="red")
    console.print(Text.assemble(mark, f" {subject}: {summary}"), soft_wrap=True)


def findings_json(
    findings: Sequence[Finding], subject: str, counts: dict[str, int], files: list[str]
) -> dict[str, Any]:
    return {"plant": subject, "files": files, "summary": counts, "findings": [f.as_dict() for f in findings]}


def sarif(findings: Sequence[Finding], rules: Iterable[Rule]) -> dict[str, Any]:
    """SARIF 2.1.0: one run, every rule described, every result with its file region."""
    rule_list = list(rules)
    index = {r.id: i for i, r in enumerate(rule_list)}
    level = {"error": "error", "critical": "error", "high": "error", "warning": "warning", "medium": "warning",
             "low": "note", "info": "note"}
    def artifact(file: str) -> dict[str, str]:
        # relative names are relative to the working folder, which %SRCROOT% names; others are file URIs
        if os.path.isabs(file):
            return {"uri": Path(file).as_uri()}
        return {"uri": file.replace("\\", "/"), "uriBaseId": "%SRCROOT%"}

    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": level[f.severity],
            "message": {"text": f.message},
            "partialFingerprints": {"zonewardenFindingId/v1": f.id},
        }
        if f.location:
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": artifact(f.location.file),
                "region": {"startLine": f.location.line, "startColumn": f.location.column},
            }}]
        if f.related:
            result["relatedLocations"] = [{"id": i, "physicalLocation": {
                "artifactLocation": artifact(r.file),
                "region": {"startLine": r.line, "startColumn": r.column}}} for i, r in enumerate(f.related)]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "zonewarden",
                "version": __version__,
                "informationUri": "https://github.com/zonewarden/zonewarden",
                "rules": [{
                    "id": r.id,
                    "name": "".join(w.capitalize() for w in r.id.split("-")),
                    "shortDescription": {"text": r.title},
                    "fullDescription": {"text": r.explanation},
                    "defaultConfiguration": {"level": level[r.severity]},
                    "properties": {"requirement": r.requirement} if r.requirement else {},
                } for r in rule_list],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
