"""`zonewarden advisories`, `export --cyclonedx` and `import-sbom`: the inventory against CSAF advisories,
patch states (IEC TR 62443-2-3), and CycloneDX with VEX. Thin: read (advisories.csaf, advisories.sbom),
match (advisories.match), review (analysis.vulnerabilities), render. docs/advisories.md.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from .cli import ListFormat, Severity, _load_checked, app, emit, err, fail, out, run_assessment
from .render.output import to_json


def _sboms(plant_path: Path, p) -> dict:
    """The SBOM components of every asset that names one, read relative to the file that defines it."""
    from .advisories.sbom import SBOMError, read_cyclonedx

    found = {}
    for aid, a in p.assets.items():
        if not a.sbom:
            continue
        loc = p._sources.locate(("assets", aid), key=True) if p._sources is not None else None
        base = Path(loc.file).parent if loc is not None else (plant_path if plant_path.is_dir() else plant_path.parent)
        try:
            found[aid] = read_cyclonedx(base / a.sbom)
        except SBOMError as e:
            fail(f"assets.{aid}.sbom: {e}")
    return found


def _corpus(csaf: Path | None, since: str | None):
    from .advisories.csaf import read_folder

    folder = csaf or (Path(os.environ["ZONEWARDEN_CSAF"]) if os.environ.get("ZONEWARDEN_CSAF") else None)
    if folder is None:
        fail("no advisories to match: give --csaf DIR (a folder of CSAF 2.0 JSON advisories, e.g. CISA's "
             "csaf_files/OT/white) or set ZONEWARDEN_CSAF")
    if not folder.is_dir():
        fail(f"--csaf {folder}: not a folder")
    try:
        day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        fail(f"--since {since!r}: expected a date such as 2024-01-01")
    corpus = read_folder(folder, day)
    for problem in corpus.problems[:10]:
        err.print(f"[yellow]skipped[/] {problem}", highlight=False, soft_wrap=True)
    if len(corpus.problems) > 10:
        err.print(f"[yellow]skipped[/] {len(corpus.problems) - 10} more files that are not CSAF 2.0 advisories",
                  highlight=False)
    return corpus


def review_plant(plant: Path, csaf: Path | None, since: str | None):
    """Load, match and review: the one computation every face of advisories renders."""
    from .advisories.match import Matcher
    from .advisories.sbom import inventory
    from .analysis.vulnerabilities import review

    p = _load_checked(plant)
    components = _sboms(plant, p)
    corpus = _corpus(csaf, since)
    items = inventory(p, components)
    matches = Matcher(corpus.advisories).match_all(items)
    assessment = run_assessment(p)
    result = review(p, matches, {z.id: z.sl_target.as_list() for z in assessment.zones})
    return p, components, corpus, items, result


@app.command()
def advisories(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    csaf: Annotated[Path | None, typer.Option(help="Folder of CSAF 2.0 advisories (searched recursively); "
                                              "default $ZONEWARDEN_CSAF.")] = None,
    since: Annotated[str | None, typer.Option(help="Only advisories published or revised on or after this date "
                                              "(YYYY-MM-DD).")] = None,
    outcome: Annotated[list[str] | None, typer.Option(help="Show only these outcomes: affected, unknown, fixed, "
                                                      "not_affected (repeatable).")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON to this file.")] = None,
    fail_on: Annotated[Severity, typer.Option(help="Lowest severity of a finding that makes the exit status 1.")]
    = Severity.never,
) -> None:
    """Which advisories hit which assets (affected, not affected, fixed or unknown, with the evidence), the
    patch state of each, the findings, and the likelihood they add to the zone's risk scenarios."""
    from .analysis.findings import severity_rank
    from .render.advisories import print_review

    for o in outcome or ():
        if o not in ("affected", "unknown", "fixed", "not_affected"):
            fail(f"--outcome {o!r}: expected affected, unknown, fixed or not_affected")
    p, _, corpus, items, result = review_plant(plant, csaf, since)
    if outcome:
        result.rows = [r for r in result.rows if r.match.outcome in outcome]
    if format is ListFormat.json or output is not None:
        emit(to_json([r.as_dict() for r in result.rows]), output)
    else:
        print_review(out, p.plant.name, result, len(corpus.advisories), len(items))
    if fail_on is not Severity.never and any(severity_rank(f["severity"]) >= severity_rank(fail_on.value)
                                             for f in result.findings):
        raise typer.Exit(1)


@app.command()
def export(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    cyclonedx: Annotated[Path, typer.Option(help="Write the inventory as CycloneDX 1.6 JSON with VEX to this file "
                                            "('-' for stdout).")],
    csaf: Annotated[Path | None, typer.Option(help="Also state VEX for every matched advisory in this CSAF folder "
                                              "(default $ZONEWARDEN_CSAF; without either, patch entries only).")]
    = None,
) -> None:
    """The plant's inventory as a CycloneDX 1.6 SBOM: devices with their firmware and model numbers, supplier
    SBOM components, and VEX statements from the patch states and matched advisories."""
    from .render.cyclonedx import bom

    if csaf is not None or os.environ.get("ZONEWARDEN_CSAF"):
        p, components, _, _, result = review_plant(plant, csaf, None)
        rows = result.rows
    else:
        p = _load_checked(plant)
        components = _sboms(plant, p)
        rows = []
    doc = bom(p, components, rows)
    emit(to_json(doc), None if str(cyclonedx) == "-" else cyclonedx)
    if str(cyclonedx) != "-":
        vulns = doc.get("vulnerabilities", [])
        err.print(f"{cyclonedx}: CycloneDX {doc['specVersion']}, {len(doc['components'])} components, "
                  f"{len(vulns)} VEX statements", highlight=False)


@app.command("import-sbom")
def import_sbom(
    asset: Annotated[str, typer.Argument(help="The asset the SBOM describes.")],
    file: Annotated[Path, typer.Argument(help="The supplier's CycloneDX SBOM (JSON).")],
    plant: Annotated[Path, typer.Option("--plant", "-p", help="Plant file or folder.")] = Path("."),
) -> None:
    """Keep a supplier's CycloneDX SBOM with the plant (sbom/ASSET.cdx.json beside the file that defines the
    asset) and point the asset's `sbom:` at it; its components then join the advisory matching."""
    from .advisories.sbom import SBOMError, read_cyclonedx
    from .render.plant_edit import set_asset_field

    p = _load_checked(plant)
    if asset not in p.assets:
        fail(f"{asset!r}: no such asset in {plant}")
    try:
        components = read_cyclonedx(file)
    except SBOMError as e:
        fail(str(e))
    loc = p._sources.locate(("assets", asset), key=True) if p._sources is not None else None
    if loc is None:
        fail(f"cannot find the file that defines asset {asset!r} in {plant}")
    defining = Path(loc.file)
    rel = Path("sbom") / f"{asset}.cdx.json"
    target = defining.parent / rel
    try:
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(file, tmp)
        tmp.replace(target)
        set_asset_field(defining, asset, "sbom", rel.as_posix())
    except OSError as e:
        fail(f"cannot write {target}: {e.strerror or e}")
    out.print(f"{file.name}: {len(components)} components for {asset}; kept as {target}, "
              f"assets.{asset}.sbom set in {defining}", highlight=False, soft_wrap=True)


