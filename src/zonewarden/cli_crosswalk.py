"""`zonewarden crosswalk`: what the plant's 62443 work gives it towards CSF 2.0, ISO 27001, SP 800-53, NIS2 or the
CRA. Thin like every command: assess (analysis.assess), cover (analysis.crosswalk), render (render.crosswalk).
docs/crosswalk.md.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .cli import (
    AsOfOption,
    TrackingOption,
    _load_checked,
    _load_tracking,
    app,
    as_of_date,
    emit,
    fail,
    out,
    run_assessment,
)
from .render.output import to_json
from .standard.crosswalk import CONFIDENCE, FRAMEWORKS


class Target(StrEnum):
    csf = "csf"
    iso27001 = "iso27001"
    sp800_53 = "800-53"
    nis2 = "nis2"
    cra = "cra"


class CoverageFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"
    xlsx = "xlsx"


class Confidence(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


SUFFIX = {".json": CoverageFormat.json, ".md": CoverageFormat.md, ".xlsx": CoverageFormat.xlsx}
assert tuple(t.value for t in Target) == FRAMEWORKS and tuple(c.value for c in Confidence) == CONFIDENCE


@app.command()
def crosswalk(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    to: Annotated[Target, typer.Option("--to", help="Target framework: csf (NIST CSF 2.0), iso27001 (ISO/IEC "
                                       "27001:2022 Annex A), 800-53 (NIST SP 800-53r5), nis2 (Art. 21(2) and "
                                       "(EU) 2024/2690), cra (Annex I).")],
    format: Annotated[CoverageFormat | None, typer.Option("--format", "-f", help="table, json, md or xlsx "
                                                          "(default: from the --output suffix, else table).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (.json, .md, .xlsx).")]
    = None,
    min_confidence: Annotated[Confidence, typer.Option(help="Count edges of this confidence or better; 'low' adds "
                                                       "the two-hop compositions through CSF 2.0.")]
    = Confidence.medium,
    tracking: TrackingOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Per item of the target framework: the 62443 requirements behind it, their state in this plant, and a
    roll-up (covered, partly, not, outside 62443)."""
    from .analysis.crosswalk import coverage
    from .render.crosswalk import coverage_md, coverage_xlsx, crosswalk_json, print_coverage
    from .standard.catalog import load_catalog
    from .standard.crosswalk import load_crosswalk

    fmt = format
    if fmt is None:
        fmt = SUFFIX.get(output.suffix.lower(), CoverageFormat.table) if output else CoverageFormat.table
        if output is not None and fmt is CoverageFormat.table:
            fail(f"--output {output}: name a .json, .md or .xlsx file, or give --format")
    if fmt is CoverageFormat.xlsx and output is None:
        fail("--format xlsx writes a workbook: give --output FILE.xlsx")
    if fmt is CoverageFormat.table and output is not None:
        fail("--format table prints to the terminal; choose json, md or xlsx for --output")
    day = as_of_date(as_of)
    p = _load_checked(plant)
    doc, tpath = _load_tracking(plant, tracking)
    catalog = load_catalog()
    result = run_assessment(p, doc, tracking_file=tpath, catalog=catalog, as_of=day)
    cov = coverage(result, load_crosswalk(), to.value, catalog, min_confidence=min_confidence.value)
    if fmt is CoverageFormat.json:
        emit(to_json(crosswalk_json(cov)), output)
    elif fmt is CoverageFormat.md:
        emit(coverage_md(cov), output)
    elif fmt is CoverageFormat.xlsx:
        emit(coverage_xlsx(cov), output)
    else:
        print_coverage(out, cov)
    if output is not None:
        out.print(f"wrote {output}", highlight=False)
