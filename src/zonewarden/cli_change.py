"""`zonewarden diff` and `zonewarden change`: change control on a plant kept in git. Thin like every command:
read the revisions (vcs), compute the impact (analysis.impact), render it (render.change). docs/change.md.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import vcs
from .analysis.findings import severity_rank
from .cli import Severity, _document_format, _load_checked, _load_tracking, app, as_of_date, emit, err, fail, out
from .render.output import to_json


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


FailOnOption = Annotated[Severity, typer.Option(help="Lowest severity of an effect (not closed by the tracking "
                                                "file) that makes the exit status 1, to gate a merge request.")]


def _side(rev: vcs.Revision, tracking: Path | None = None):
    """A plant and its tracking file (beside it, at that revision) for one side of the comparison."""
    if not rev.path.exists():
        fail(f"{rev.label}: no such file or folder")
    plant = _load_checked(rev.path, rev.label if rev.commit else None)
    doc, _ = _load_tracking(rev.path, tracking)
    return plant, doc


def _impact(old: vcs.Revision, new: vcs.Revision, tracking: Path | None, as_of: str | None):
    from .analysis.impact import impact

    day = as_of_date(as_of)
    a, ta = _side(old)
    b, tb = _side(new, tracking)
    return a, b, impact(a, b, old_tracking=ta, new_tracking=tb, as_of=day)


def _gate(result, fail_on: Severity) -> None:
    if fail_on is Severity.never:
        return
    blocking = result.at_or_above(fail_on.value)
    if blocking:
        worst = max(blocking, key=lambda e: severity_rank(e.severity))
        err.print(f"{len(blocking)} effect(s) at or above {fail_on.value}, e.g. {worst.severity}: {worst.message}",
                  highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The plant before: a path, or git:REV[:PATH].")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The plant after: a path, or git:REV[:PATH].")],
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="table, json or md.")] = DiffFormat.table,
    fail_on: FailOnOption = Severity.never,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
    = None,
    tracking: Annotated[Path | None, typer.Option(help="Tracking file of the new side (default: tracking.yaml "
                                                  "beside it).")] = None,
    as_of: Annotated[str | None, typer.Option(help="Assess both sides as of this date, YYYY-MM-DD (default "
                                              "today).")] = None,
) -> None:
    """What changed between two plants, by id, and its impact: SL-T and SL-A, gaps, risk, depth, attack paths,
    compensations, and the requirements to verify again."""
    from .render.change import impact_json, impact_markdown, print_impact

    try:
        a, b = vcs.open_pair(old, new)
    except vcs.RevisionError as e:
        fail(str(e))
    try:
        _, _, result = _impact(a, b, tracking, as_of)
    finally:
        a.close()
        b.close()
    if format is DiffFormat.json:
        emit(to_json(impact_json(result, a.as_dict(), b.as_dict())), output)
    elif format is DiffFormat.md:
        emit(impact_markdown(result, old, new), output)
    else:
        print_impact(out, result, old, new)
        if output is not None:
            emit(to_json(impact_json(result, a.as_dict(), b.as_dict())), output)
    _gate(result, fail_on)


@app.command()
def change(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder in a git work tree: the plant after the "
                                          "change.")],
    from_: Annotated[str, typer.Option("--from", help="The revision the change starts from, e.g. main or "
                                       "HEAD~3.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="FILE.md, FILE.html, FILE.pdf or FILE.json "
                                                "(default: Markdown on stdout).")] = None,
    fail_on: FailOnOption = Severity.never,
    tracking: Annotated[Path | None, typer.Option(help="Tracking file (default: tracking.yaml beside the plant).")]
    = None,
    as_of: Annotated[str | None, typer.Option(help="Assess as of this date, YYYY-MM-DD (default today).")] = None,
) -> None:
    """The management-of-change record: what changes and why (the commits), its impact, the approvals required by
    role, verification before and after, and the rollback."""
    from .analysis.change_record import ChangeRecord, approvals, rollback, verification
    from .render.change import RECORD_FORMATS, record_html, record_markdown, record_pdf
    from .render.documents import fingerprint

    fmt = _document_format(output, RECORD_FORMATS) if output is not None else "md"
    if not plant.exists():
        fail(f"{plant}: no such file or folder")
    head = vcs.working(plant)
    if head.repo is None or head.relpath is None:
        fail(f"{plant} is not inside a git repository; `change` needs the history (use `diff` for two folders)")
    spec = vcs.Spec(from_.removeprefix(vcs.PREFIX), None)
    try:
        base = vcs.export(head.repo, spec, head.relpath, f"git:{spec.rev}")
        commits = vcs.commits(head.repo, base.commit or spec.rev, "HEAD", head.relpath)
        dirty = vcs.uncommitted(head.repo, head.relpath)
    except vcs.RevisionError as e:
        fail(str(e))
    try:
        old, new, result = _impact(base, head, tracking, as_of)
    finally:
        base.close()
    head_commit = vcs.resolve(head.repo, "HEAD")
    title = commits[0].subject if len(commits) == 1 and not dirty else \
        f"{len(commits)} commit(s){' and uncommitted edits' if dirty else ''} to {new.plant.name}"
    rec = ChangeRecord(
        f"Change record: {title}", new.plant.name, new.plant.validated, base.as_dict(),
        {"spec": str(plant) if dirty else f"git:{head_commit[:12]}", "commit": None if dirty else head_commit,
         "path": head.relpath},
        commits, dirty, result, approvals(result, old, new), *verification(result, new, str(plant)),
        rollback(result, base.commit[:12] if base.commit else spec.rev, head.relpath),
        {"from": fingerprint(old), "to": fingerprint(new)})
    if fmt == "json":
        emit(to_json(rec.as_dict()), output)
    elif fmt == "html":
        emit(record_html(rec), output)
    elif fmt == "pdf":
        emit(record_pdf(rec), output)
    else:
        emit(record_markdown(rec), output)
    _gate(result, fail_on)
