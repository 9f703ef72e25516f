"""`zonewarden` command line: thin commands that call the analysis and hand its objects to a renderer.

Exit status everywhere: 0 clean, 1 findings at or above --fail-on, 2 the input could not be read
(or a bad option), 3 an internal error (a bug: please report it). Never a traceback unless
ZONEWARDEN_DEBUG=1. Reference: docs/cli.md.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from . import __version__
from .analysis.assess import assess as run_assessment
from .analysis.checks import RULES, check_raw, unreadable
from .analysis.findings import severity_rank
from .model.diagnostics import PlantInvalid, PlantReadError
from .model.load import read_raw
from .model.plant import json_schema
from .model.sl import FRS
from .model.tracking import default_path, load_tracking
from .render.assessment import assessment_json, explain_json, print_explain, print_summary, print_zone
from .render.catalog import catalog_json, catalog_table
from .render.findings import findings_json, print_findings, sarif
from .render.output import open_output, to_json, write_atomic, write_atomic_chunks
from .render.tracking import seed_tracking
from .standard.catalog import COMPONENT_TYPES, DEFAULT_EDITION, PARTS, TYPE_PREFIX, load_catalog

app = typer.Typer(
    name="zonewarden",
    help="IEC 62443 zones, conduits and security levels as code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
out = Console(soft_wrap=False, emoji=False)  # user text never turns into emoji (`plant.yaml:100:27`)
if not out.is_terminal and "COLUMNS" not in os.environ:
    out = Console(soft_wrap=False, width=120, emoji=False)  # logs and pipes: wide enough for an SL-vector table
err = Console(stderr=True, emoji=False)
EXAMPLE = "fill-finish"
TrackingOption = Annotated[Path | None, typer.Option(help="Tracking file (default: tracking.yaml beside the plant).")]
AsOfOption = Annotated[str | None, typer.Option(help="Assess as of this date, YYYY-MM-DD (default today).")]
COMPACT_ABOVE = 2000  # gaps; beyond that `assess --format json` prints one line (indenting costs 7x the time)


class CheckFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class FlowFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


class Severity(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"
    never = "never"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    never = "never"


def as_of_date(as_of: str | None) -> dt.date | None:
    """The --as-of option as a date (None: today), or exit 2 with one line."""
    try:
        return dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of {as_of!r}: expected a date such as 2026-11-22")


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear paragraph on stderr, then the exit status; never a traceback."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def emit_chunks(chunks: Iterable[str | bytes], output: Path | None) -> None:
    """Stream text to stdout, or write it atomically to a file (a long output never sits whole in memory)."""
    if output is None:
        for chunk in chunks:
            if isinstance(chunk, bytes):
                sys.stdout.flush()
                sys.stdout.buffer.write(chunk)
            else:
                sys.stdout.write(chunk)
        return
    try:
        write_atomic_chunks(output, chunks)
    except OSError as e:
        fail(f"cannot write {output}: {e.strerror or e}")
    err.print(f"wrote {output}")


def emit(text: str | bytes, output: Path | None) -> None:
    emit_chunks((text,), output)


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        out.print(f"zonewarden {__version__}")
        raise typer.Exit(0)


@app.command()
def check(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="table, json or sarif.")] = CheckFormat.table,
    fail_on: Annotated[FailOn, typer.Option(help="Lowest severity that makes the exit status 1.")] = FailOn.error,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Check a plant against the format and the semantic rules; exit 1 on findings, 2 if unreadable."""
    subject = str(plant)
    try:
        raw = read_raw(plant)
    except PlantReadError as e:
        if format is not CheckFormat.table:  # CI still gets a document to upload, with the one located error
            finding = [unreadable(e.message, e.location)]
            doc = sarif(finding, RULES.values()) if format is CheckFormat.sarif else \
                findings_json(finding, subject, {"error": 1, "warning": 0}, [])
            emit(to_json(doc), output)
        fail(str(e))
    result = check_raw(raw)
    counts = result.counts()
    if format is CheckFormat.json:
        emit(to_json(findings_json(result.findings, subject, counts, result.files)), output)
    elif format is CheckFormat.sarif:
        emit(to_json(sarif(result.findings, RULES.values())), output)
    else:
        console = out if output is None else Console(file=open(os.devnull, "w"))  # noqa: SIM115
        print_findings(console, result.findings, subject, counts)
        if output is not None:
            emit(to_json(findings_json(result.findings, subject, counts, result.files)), output)
    if fail_on is not FailOn.never:
        threshold = severity_rank(fail_on.value)
        if any(severity_rank(f.severity) >= threshold for f in result.findings):
            raise typer.Exit(1)


def _load_checked(plant: Path, label: str | None = None):
    """Read a plant for an analysis: unreadable or failing the format/semantic errors -> exit 2. `label`: how to
    name a plant read from a git revision (its files sit in a temporary folder)."""
    try:
        raw = read_raw(plant)
    except PlantReadError as e:
        fail(f"{label}: {e}" if label else str(e))
    result = check_raw(raw)
    gc.freeze()  # the plant lives until the command exits: keep the collector from re-scanning it
    atexit.register(gc.unfreeze)  # ...but let the shutdown collect it: extension modules (DuckDB) check for leaks
    errors = [f for f in result.findings if f.severity == "error"]
    if errors or result.plant is None:
        for f in errors[:20]:
            err.print(f"{f.location}: {f.rule}: {f.message}" if f.location else f.message, highlight=False,
                      markup=False, soft_wrap=True)
        fail(f"{label or plant} has {len(errors)} error(s); `zonewarden check {plant}` lists them. Fix them first.")
    return result.plant


def _load_tracking(plant: Path, tracking: Path | None):
    path = tracking or default_path(plant)
    if tracking is None and not path.exists():
        return None, None
    try:
        doc, _ = load_tracking(path)
    except PlantReadError as e:
        fail(str(e))
    except PlantInvalid as e:
        for p in e.problems:
            err.print(f"{p.location}: {p.rule}: {p.message}", highlight=False, markup=False, soft_wrap=True)
        fail(f"{path}: the tracking file is not valid (see above)")
    return doc, str(path)


@app.command()
def assess(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    zone: Annotated[str | None, typer.Option(help="Every requirement of one zone, and why it is met or not.")] = None,
    explain: Annotated[str | None, typer.Option(help="One requirement across zones, e.g. 'SR 1.1 RE 1'.")] = None,
    tracking: TrackingOption = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
    fail_on: Annotated[Severity, typer.Option(help="Lowest severity of an open gap or finding that makes the exit "
                                              "status 1.")] = Severity.never,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON to this file.")] = None,
    edition: Annotated[str, typer.Option(help="3-3 reading: 2013+COR1:2014 (default) or 2013.")] = DEFAULT_EDITION,
    as_of: Annotated[str | None, typer.Option(help="Assess as of this date, YYYY-MM-DD (default today): "
                                              "compensations past their review date do not count.")] = None,
):
    """SL-T from risk, SL-C of components, SL-A of zones and conduits, and every gap with who must act."""
    try:
        catalog = load_catalog().with_edition(edition)
    except ValueError as e:
        fail(f"--edition: {e}")
    day = as_of_date(as_of)
    p = _load_checked(plant)
    doc, tpath = _load_tracking(plant, tracking)
    result = run_assessment(p, doc, tracking_file=tpath, catalog=catalog, as_of=day)
    if zone is not None and zone not in p.zones:
        fail(f"--zone {zone!r}: no such zone; zones: {', '.join(p.zones)}")
    if zone is not None and zone in result.external:
        fail(f"--zone {zone!r} lies outside the system under consideration (scope external): it has no SL-T, SL-A "
             f"or gaps; set `scope: suc` on it to assess it")
    if explain is not None and (catalog.find(explain) is None or catalog.find(explain).part != "3-3"):
        fail(f"--explain {explain!r}: expected a 62443-3-3 requirement id such as 'SR 1.1' or 'SR 5.2 RE 1'")
    if format is ListFormat.json or output is not None:
        data = explain_json(result, explain, catalog) if explain else assessment_json(result, zone=zone)
        emit(to_json(data, compact=len(result.gaps) > COMPACT_ABOVE), output)
    if format is ListFormat.table:
        if explain:
            print_explain(out, result, explain, catalog)
        elif zone:
            print_zone(out, result, next(z for z in result.zones if z.id == zone), catalog)
        else:
            print_summary(out, result)
    if fail_on is not Severity.never and result.open_at_or_above(fail_on.value):
        raise typer.Exit(1)
    return result  # for `demo`, which shows the command and then reads its result


track_app = typer.Typer(help="The tracking file: statuses of findings that survive re-runs.", no_args_is_help=True)
app.add_typer(track_app, name="track")


@track_app.command("init")
def track_init(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    tracking: Annotated[Path | None, typer.Option(help="Where to write (default: tracking.yaml beside the plant).")]
    = None,
) -> None:
    """Seed a tracking file with every current gap and finding, status open."""
    p = _load_checked(plant)
    path = tracking or default_path(plant)
    if path.exists():
        fail(f"{path} already exists; edit it, or remove it to seed a new one")
    result = run_assessment(p)
    write_atomic(path, seed_tracking(result))
    out.print(f"wrote {path}: {len(result.gaps) + len(result.findings)} entries, status open")


def _read_inputs(inputs: list[Path]):
    """Read traffic inputs with a progress bar on a terminal; a missing input or an empty folder -> exit 2."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    from .traffic.sources import expand, input_size, read_traffic  # Arrow: imported only by traffic commands

    for item in inputs:
        if item.is_dir() and not expand([item]):
            fail(f"{item}: folder holds no capture, Zeek log, CSV flows or parquet file")
        if not item.exists():
            fail(f"{item}: no such file or folder")
    with Progress(TextColumn("reading {task.fields[name]}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("read", total=input_size(inputs), name="")
        before: dict[Path, int] = {}  # per file, the bytes of the files read before it

        def progress(path: Path, done: int) -> None:
            if path not in before:
                before[path] = sum(p.stat().st_size for p in before)
            bar.update(task, completed=before[path] + done, name=path.name)

        return read_traffic(inputs, progress)


def _report_read(read, fatal: bool = True) -> None:
    """Warnings, then errors (each one line); exit 2 after them if any error and `fatal`."""
    from .traffic.capture import CaptureError

    for w in read.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    for e in read.errors:
        kept = " (the conversations read before it are kept)" if read.frames and isinstance(e, CaptureError) else ""
        err.print(f"[bold red]error:[/] {e}{kept}", highlight=False, soft_wrap=True)
    if read.errors and fatal:
        raise typer.Exit(2)


@app.command()
def flows(
    inputs: Annotated[list[Path], typer.Argument(
        help="Captures (pcap, pcapng), Zeek logs (conn.log + protocol logs), CSV flows, parquet flow tables, "
             "or folders of them.", show_default=False)],
    format: Annotated[FlowFormat, typer.Option("--format", "-f", help="table, json (JSON Lines), csv or parquet.")]
    = FlowFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
    = None,
) -> None:
    """The conversations in traffic: endpoints, l4, application, operations, packets and bytes."""
    import pyarrow.parquet as pq

    from .render.flows import print_flows
    from .traffic.csvflows import csv_text
    from .traffic.table import rows

    if format is FlowFormat.parquet and output is None:
        fail("--format parquet writes a binary file: name it with -o FILE.parquet")
    read = _read_inputs(inputs)
    table = read.table.sort_by([("first_seen", "ascending"), ("l4", "ascending")])
    if len(table) or not read.errors:
        if format is FlowFormat.json:
            emit_chunks((json.dumps(row, separators=(",", ":")) + "\n" for row in rows(table)), output)
        elif format is FlowFormat.csv:
            emit_chunks(csv_text(table), output)
        elif format is FlowFormat.parquet:
            try:
                with open_output(output) as fh:  # type: ignore[arg-type]
                    pq.write_table(table, fh, compression="zstd")
            except OSError as e:
                fail(f"cannot write {output}: {e.strerror or e}")
            err.print(f"wrote {output} ({len(table)} flows)")
        else:
            print_flows(out, table, read.frames)
    _report_read(read)


@app.command()
def traffic(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    inputs: Annotated[list[Path], typer.Argument(
        help="Captures, Zeek logs, CSV flows, parquet flow tables, or folders of them.", show_default=False)],
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="table, json or sarif.")] = CheckFormat.table,
    details: Annotated[bool, typer.Option(help="List every verdict (the table shows the first 40).")] = False,
    kind: Annotated[str | None, typer.Option(help="Only verdicts of this kind, e.g. op_not_allowed.")] = None,
    conduit: Annotated[str | None, typer.Option(help="Only verdicts on this conduit.")] = None,
    tracking: TrackingOption = None,
    fail_on: Annotated[Severity, typer.Option(help="Lowest severity of an open verdict that makes the exit status 1.")]
    = Severity.never,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON or SARIF to this file.")] = None,
):
    """Judge observed traffic against the plant's zones, conduits and flow rules."""
    from .analysis.conformance import KINDS, conformance
    from .analysis.tracking import apply_tracking
    from .model.tracking import CLOSED
    from .render.traffic import print_traffic, traffic_json, traffic_sarif

    if kind is not None and kind not in KINDS:
        fail(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
    p = _load_checked(plant)
    if conduit is not None and conduit not in p.conduits:
        fail(f"--conduit {conduit!r}: no such conduit; conduits: {', '.join(p.conduits)}")
    doc, tpath = _load_tracking(plant, tracking)
    read = _read_inputs(inputs)
    _report_read(read)
    result = conformance(p, read.table)
    applied = apply_tracking(doc, [v.id for v in result.verdicts], tpath, traffic=True)
    for v in result.verdicts:
        v.status, v.tracking = applied.status(v.id), applied.details(v.id)
    result.verdicts = [v for v in result.verdicts if (kind is None or v.kind == kind)
                       and (conduit is None or v.conduit == conduit)]
    if format is CheckFormat.json:
        emit(to_json(traffic_json(result, p.plant.name, [str(i) for i in inputs])), output)
    elif format is CheckFormat.sarif:
        emit(to_json(traffic_sarif(result, p)), output)
    else:
        filtered = kind is not None or conduit is not None
        print_traffic(out, result, p.plant.name, details or filtered, filtered)
    if fail_on is not Severity.never and any(
            v.status not in CLOSED and severity_rank(v.severity) >= severity_rank(fail_on.value)
            for v in result.verdicts):
        raise typer.Exit(1)
    return result  # for `demo`


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of plant files (for editors: yaml-language-server, VS Code)."""
    emit(to_json(json_schema()), output)


def _parse_fr(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().upper().replace("FR", "").strip()
    if v.isdigit() and 1 <= int(v) <= 7:
        return FRS[int(v) - 1]
    if value.strip().upper() in FRS:
        return value.strip().upper()
    fail(f"--fr {value!r}: expected one of {', '.join(FRS)} (or FR 1-7)")


def _parse_type(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip()
    if v.upper() in TYPE_PREFIX:
        return TYPE_PREFIX[v.upper()]
    if v in COMPONENT_TYPES:
        return v
    fail(f"--type {value!r}: expected one of {', '.join(COMPONENT_TYPES)} (or SAR, EDR, HDR, NDR)")


@app.command()
def catalog(
    part: Annotated[str | None, typer.Option(help=f"Part of IEC 62443: {', '.join(PARTS)}.")] = None,
    sl: Annotated[int | None, typer.Option(help="Items required at this SL (ML for 2-1, 2-4, 4-1), 1-4.")] = None,
    fr: Annotated[str | None, typer.Option(help="Foundational requirement: IAC, UC, SI, DC, RDF, TRE, RA.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="4-2 component type, e.g. embedded_device.")] = None,
    edition: Annotated[str, typer.Option(help="3-3 reading: 2013+COR1:2014 (default) or 2013.")] = DEFAULT_EDITION,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
    map: Annotated[str | None, typer.Option("--map", metavar="ID", help="Show one id's crosswalk edges both ways: "
                                            "a 62443 id (SR 1.1, CR 2.1, SM-9, ORG 1.1) or a target id (PR.AA-01, "
                                            "A.8.22, AC-2, 21(2)(d), I(2)(a)); prefix csf:, iso27001:, 800-53:, "
                                            "nis2:, cra: or 62443: when an id is ambiguous.")] = None,
) -> None:
    """List IEC 62443 requirements: ids, short titles, levels, component types, our guidance."""
    if map is not None:
        _catalog_map(map, format)
        return
    if part is not None and part not in PARTS:
        fail(f"--part {part!r}: expected one of {', '.join(PARTS)}")
    if sl is not None and not 1 <= sl <= 4:
        fail(f"--sl {sl}: expected a level from 1 to 4")
    cat = load_catalog()
    try:
        cat = cat.with_edition(edition)
    except ValueError as e:
        fail(f"--edition: {e}")
    items = cat.select(part=part, level=sl, fr=_parse_fr(fr), component_type=_parse_type(type))
    if format is ListFormat.json:
        sys.stdout.write(to_json(catalog_json(items)))
        return
    scale = cat.parts[part].scale if part else "SL/ML"
    bits = [f"part {part}" if part else "all parts", f"level {sl}" if sl else "", fr or "", type or ""]
    out.print(catalog_table(items, "IEC 62443 " + ", ".join(b for b in bits if b), scale or "level"))
    out.print(f"{len(items)} items")


def _catalog_map(ident: str, format: ListFormat) -> None:
    from .render.crosswalk import map_json, print_map
    from .standard.crosswalk import FRAMEWORKS, load_crosswalk

    cw, cat = load_crosswalk(), load_catalog()
    prefix, sep, rest = ident.partition(":")
    scopes = ("62443", *FRAMEWORKS)
    if sep and prefix.strip().lower() in scopes:
        scopes, ident = (prefix.strip().lower(),), rest.strip()
    hits: list[tuple[str, str]] = []
    for scope in scopes:
        if scope == "62443":
            req = cat.find(ident)
            if req is not None and (cw.edges_from(req.id) or len(scopes) == 1):
                hits.append(("62443", req.id))
        elif scope in cw.frameworks and (item := cw.framework(scope).find(ident)) is not None:
            hits.append((scope, item.id))
    if not hits:
        fail(f"--map {ident!r}: no 62443 requirement with crosswalk edges and no item of {', '.join(FRAMEWORKS)} "
             "has this id (e.g. 'SR 1.1', 'PR.AA-01', 'A.8.22', 'AC-2', '21(2)(d)', 'I(2)(a)')")
    if format is ListFormat.json:
        sys.stdout.write(to_json(map_json(cw, hits)))
    else:
        print_map(out, cw, hits)


@app.command()
def discover(
    inputs: Annotated[list[Path], typer.Argument(
        help="Captures, Zeek logs, CSV flows, parquet flow tables, or folders of them.", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the draft (or patch) to this file.")]
    = None,
    into: Annotated[Path | None, typer.Option(help="An existing plant: write what traffic adds to it as a patch.")]
    = None,
    name: Annotated[str, typer.Option(help="The draft plant's name.")] = "Discovered plant",
) -> None:
    """Draft a plant (or a patch to one) from traffic: assets, zones, conduits and flow rules, with evidence."""
    from .analysis.discover import additions
    from .analysis.discover import discover as draft_from
    from .render.draft import draft_yaml, patch_text

    plant = _load_checked(into) if into is not None else None
    read = _read_inputs(inputs)
    _report_read(read)
    sources = [str(i) for i in inputs]
    if into is not None:
        text = patch_text(into, plant, additions(plant, read.table), sources)
        if not text:
            err.print(f"{into} already describes this traffic: nothing to add")
            return
    else:
        text = draft_yaml(draft_from(read.table), sources, name)
    emit(text, output)


@app.command()
def paths(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    target: Annotated[str | None, typer.Option(help="One target asset: its weakest path hop by hop.")] = None,
    traffic: Annotated[list[Path] | None, typer.Option(help="Captures or flow files: flows that no rule allows "
                                                       "become paths too (repeat for several).")] = None,
    tracking: TrackingOption = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON to this file.")] = None,
) -> None:
    """Attack paths from entry points to critical assets: depth in layers, and proof of compensations."""
    from .analysis.paths import describe

    r = _review(plant, tracking, traffic, None)
    p, found = r.plant, r.paths
    if target is not None and target not in {t.asset for t in found.targets}:
        fail(f"--target {target!r}: not a target (assets of high criticality and of safety zones): "
             + ", ".join(t.asset for t in found.targets))
    if format is ListFormat.json or output is not None:
        emit(to_json(found.as_dict()), output)
        return
    from rich.table import Table

    if target is not None:
        t = next(t for t in found.targets if t.asset == target)
        out.print(f"{t.asset} ({t.zone}): depth {t.depth}, policy {t.policy}; layers (one per device): "
                  f"{', '.join(t.layers) or 'none'}", highlight=False)
        for hop in t.weakest:
            out.print(f"  {hop.kind:8} {hop.id:24} {', '.join(hop.layers) or '-'}", highlight=False)
        for cls, cms in t.beside.items():
            out.print(f"  beside the depth ({cls}): {', '.join(cms)}", highlight=False)
        return
    table = Table(title=f"{p.plant.name}: attack paths from {', '.join(found.entries)}")
    for col in ("target", "zone", "depth", "policy", "layers", "beside", "weakest path"):
        table.add_column(col, overflow="fold")
    for t in sorted(found.targets, key=lambda t: (not t.below_policy, t.depth if t.depth is not None else 99)):
        depth = "unreachable" if t.depth is None else str(t.depth)
        style = "[red]" if t.below_policy else ""
        table.add_row(t.asset, t.zone, f"{style}{depth}", str(t.policy), ", ".join(t.layers) or "-",
                      ", ".join(f"{len(v)} {k}" for k, v in t.beside.items()) or "-", describe(t.weakest))
    out.print(table)
    proofs = Table(title="compensations")
    for col in ("asset", "requirement", "by", "proven", "why not"):
        proofs.add_column(col, overflow="fold")
    for c in found.compensations:
        proofs.add_row(c.asset, c.requirement, ", ".join(c.by),
                       f"yes ({c.tested})" if c.proven else "[red]no[/]",
                       "; ".join(r["message"] for r in c.reasons) or "-")
    out.print(proofs)
    for asset, cms in found.single_points.items():
        out.print(f"single point of failure for {asset}: {', '.join(cms)}", highlight=False)
    if found.harden:
        out.print(f"fewest conduits to harden for the targets below policy: {', '.join(found.harden)}",
                  highlight=False)


def _review(plant: Path, tracking: Path | None, traffic: list[Path] | None, as_of: str | None):
    """Load, assess, analyse paths and (when given) judge traffic: what `report` and `crs` show."""
    from .analysis.review import review

    day = as_of_date(as_of)
    p = _load_checked(plant)
    doc, tpath = _load_tracking(plant, tracking)
    flows = None
    if traffic:
        read = _read_inputs(traffic)
        _report_read(read)
        flows = read.table
    return review(p, doc, tracking_file=tpath, flows=flows, traffic_inputs=[str(t) for t in traffic or []],
                  as_of=day)


def _document_format(output: Path, allowed: tuple[str, ...]) -> str:
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in allowed:
        fail(f"-o {output}: the file name must end in {', '.join('.' + f for f in allowed)} (it chooses the format)")
    return fmt


@app.command()
def report(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="FILE.html, FILE.pdf or FILE.xlsx.")],
    traffic: Annotated[list[Path] | None, typer.Option(help="Captures or flow files whose verdicts the report "
                                                       "includes (repeat for several).")] = None,
    tracking: TrackingOption = None,
    as_of: AsOfOption = None,
) -> None:
    """The assessment report: one self-contained HTML file, the same as PDF, or an XLSX workbook of registers."""
    from .render.report import FORMATS, report_html, report_pdf, report_xlsx

    fmt = _document_format(output, FORMATS)
    r = _review(plant, tracking, traffic, as_of)
    render = {"html": report_html, "pdf": report_pdf, "xlsx": report_xlsx}[fmt]
    emit(render(r), output)


@app.command()
def crs(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="FILE.html, FILE.pdf or FILE.md.")],
    tracking: TrackingOption = None,
    as_of: AsOfOption = None,
) -> None:
    """The Cybersecurity Requirements Specification (62443-3-2 ZCR 6.1-6.9) with the approval block of ZCR 7."""
    from .render.crs import FORMATS, crs_html, crs_markdown, crs_pdf, missing_fields

    fmt = _document_format(output, FORMATS)
    r = _review(plant, tracking, None, as_of)
    render = {"html": crs_html, "pdf": crs_pdf, "md": crs_markdown}[fmt]
    emit(render(r), output)
    if gaps := missing_fields(r):
        err.print(f"{len(gaps)} field(s) of the CRS are not recorded in the plant yet: {', '.join(gaps[:8])}"
                  + (" ..." if len(gaps) > 8 else ""), highlight=False, soft_wrap=True)


@app.command()
def procure(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    zone: Annotated[str | None, typer.Option(help="The zone the new component joins: its SL-T sets the level.")]
    = None,
    type: Annotated[str | None, typer.Option("--type", help="Component type: embedded_device, host_device, "
                                             "network_device or software_application (or EDR, HDR, NDR, SAR).")]
    = None,
    maturity: Annotated[int | None, typer.Option(min=1, max=4, help="62443-4-1 maturity level to ask (default: "
                                                 "3 when SL-T reaches 3 on some FR, else 2).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="FILE.md, FILE.xlsx (the supplier response "
                                                "workbook) or FILE.json; default Markdown on stdout.")] = None,
    import_: Annotated[Path | None, typer.Option("--import", help="A filled response workbook to read back into "
                                                 "--asset's capability `meets:` list.")] = None,
    asset: Annotated[str | None, typer.Option(help="With --import: the asset the answers are for.")] = None,
) -> None:
    """Procurement requirements for a new component of a zone (62443-4-2 at the zone's SL-T, 4-1 maturity, the
    certificates that show them) and the supplier response workbook; or, with --import, read a filled one back."""
    from .analysis.procurement import procurement
    from .render.procurement import FORMATS, pack_markdown, pack_xlsx

    catalog = load_catalog()
    p = _load_checked(plant)
    if import_ is not None:
        _import_response(plant, p, catalog, import_, asset)
        return
    if zone is None or type is None:
        fail("procure needs --zone and --type (or --import RESPONSE.xlsx --asset ASSET)")
    if zone not in p.zones:
        fail(f"--zone {zone!r}: no such zone; zones: {', '.join(p.zones)}")
    ctype = _parse_type(type)
    fmt = _document_format(output, FORMATS) if output is not None else "md"
    pack = procurement(run_assessment(p, catalog=catalog), catalog, zone, ctype, maturity)
    if fmt == "xlsx":
        emit(pack_xlsx(pack), output)
    elif fmt == "json":
        emit(to_json(pack.as_dict()), output)
    else:
        emit(pack_markdown(pack), output)


def _import_response(plant_path: Path, p, catalog, workbook: Path, asset: str | None) -> None:
    """Write the `meets` answers of a response workbook into the asset; report every row that was not used."""
    from .render.plant_edit import update_asset_meets
    from .render.procurement import ResponseUnreadable, read_response

    if asset is None:
        fail("--import needs --asset: the asset whose capability the workbook answers for")
    if asset not in p.assets:
        fail(f"--asset {asset!r}: no such asset")
    if not workbook.is_file():
        fail(f"--import {workbook}: no such file")
    try:
        response = read_response(workbook, catalog, p.assets[asset].type)
    except ResponseUnreadable as e:
        fail(str(e))
    for problem in response.problems:
        err.print(f"[yellow]skipped[/] {problem}", highlight=False, soft_wrap=True)
    meets = [r for r, (resp, _) in response.answers.items() if resp == "meets"]
    other = [r for r, (resp, _) in response.answers.items() if resp != "meets"]
    loc = p._sources.locate(("assets", asset), key=True) if p._sources is not None else None
    if loc is None:
        fail(f"cannot find the file that defines asset {asset!r} in {plant_path}")
    try:
        added, removed = update_asset_meets(Path(loc.file), asset, meets, other)
    except OSError as e:
        fail(f"cannot write {loc.file}: {e.strerror or e}")
    partly = sum(1 for resp, _ in response.answers.values() if resp == "partly")
    out.print(f"{workbook.name}: {response.rows} rows, {len(meets)} meets, {partly} partly, "
              f"{len(other) - partly} no, {len(response.problems)} skipped", highlight=False)
    out.print(f"{loc.file}: assets.{asset}.capability.meets: {len(added)} added"
              + (f" ({', '.join(added)})" if 0 < len(added) <= 10 else "")
              + f", {len(removed)} removed" + (f" ({', '.join(removed)})" if removed else ""), highlight=False,
              soft_wrap=True)
    if response.problems:
        raise typer.Exit(1)


@app.command()
def lifecycle(
    plant: Annotated[Path, typer.Argument(help="Plant file or folder.")],
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
    tracking: TrackingOption = None,
    as_of: AsOfOption = None,
    fail_on: Annotated[Severity, typer.Option(help="Lowest severity of a requirement still open that makes the exit "
                                              "status 1.")] = Severity.never,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON to this file.")] = None,
) -> None:
    """Assets by lifecycle state (planned ... decommissioned), each with what its state still requires."""
    from .analysis.lifecycle import lifecycle as lifecycle_of
    from .render.lifecycle import lifecycle_json, print_lifecycle

    day = as_of_date(as_of)
    p = _load_checked(plant)
    doc, tpath = _load_tracking(plant, tracking)
    result = lifecycle_of(p, run_assessment(p, doc, tracking_file=tpath, as_of=day), day)
    if format is ListFormat.json or output is not None:
        emit(to_json(lifecycle_json(result, str(plant)), compact=len(result.requirements) > COMPACT_ABOVE), output)
    if format is ListFormat.table:
        print_lifecycle(out, result, str(plant))
    if fail_on is not Severity.never and result.at_or_above(fail_on.value):
        raise typer.Exit(1)


@app.command()
def demo(
    documents: Annotated[Path, typer.Option(help="Folder for the documents the demo writes.")] = Path(
        "zonewarden-demo"),
) -> None:
    """Check, assess and judge the traffic of the bundled example plant, write its report, CRS and a procurement
    pack, then say where to act first (by residual risk, consequence and depth, not by gap count)."""
    with resources.as_file(resources.files("zonewarden") / "examples" / EXAMPLE) as root:
        shown = Path(os.path.relpath(root)) if not os.path.relpath(root).startswith("..") else root
        capture = shown / "traffic.pcap"
        out.rule(f"1. zonewarden check {shown}")
        check(shown)
        out.rule(f"2. zonewarden assess {shown}")
        result = assess(shown)
        out.rule(f"3. zonewarden traffic {shown} {capture}")
        verdicts = [v for v in traffic(shown, [capture]).verdicts if v.status == "open"]  # what is still to do
        out.rule("4. documents: zonewarden report, crs, procure")
        for suffix in ("html", "xlsx"):
            out.print(f"$ zonewarden report {shown} --traffic {capture} -o {documents / f'report.{suffix}'}",
                      highlight=False)
            report(shown, documents / f"report.{suffix}", traffic=[capture])
        out.print(f"$ zonewarden crs {shown} -o {documents / 'crs.html'}", highlight=False)
        crs(shown, documents / "crs.html")
        out.print(f"$ zonewarden procure {shown} --zone cell-1 --type embedded_device -o {documents / 'pack.xlsx'}",
                  highlight=False)
        procure(shown, zone="cell-1", type="embedded_device", output=documents / "pack.xlsx")
        from .analysis.paths import analyse
        from .analysis.priorities import where_to_act

        ranked = where_to_act(result, analyse(_load_checked(shown),
                                              {z.id: z.sl_target.as_list() for z in result.zones}))
    out.rule("Where to act first")
    worst = [v for v in verdicts if v.severity == "critical"] or [v for v in verdicts if v.severity == "high"]
    lines = []
    for p in ranked[:3]:
        lines.append(f"Zone {p.zone} ({p.name}): {p.why}. `zonewarden assess {shown} --zone {p.zone}`.")
    if worst:
        lines.append(f"The traffic shows {worst[0].message}. "
                     f"`zonewarden traffic {shown} {capture} --kind {worst[0].kind}` has the details.")
    lines.append(f"Open {documents / 'report.html'} in a browser: the diagram, every zone sheet and register; "
                 f"`zonewarden report {shown} -o report.pdf` gives the same as PDF.")
    lines.append("Copy the example with `zonewarden init my-plant` and edit it; `zonewarden check my-plant` "
                 "says what is wrong, line by line.")
    for i, line in enumerate(lines, 1):
        out.print(f"{i}. {line}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="New folder for the plant.")],
    blank: Annotated[bool, typer.Option("--blank", help="A minimal commented skeleton (two roles, two zones, a "
                                        "conduit, two assets) instead of the example.")] = False,
) -> None:
    """Start a new plant in DIRECTORY from the bundled example (a pharmaceutical fill-and-finish line), or from a
    minimal commented skeleton with --blank."""
    if directory.is_symlink() or (directory.exists() and (not directory.is_dir() or any(directory.iterdir()))):
        fail(f"{directory} already exists and is not an empty folder; choose a new folder")
    chosen = "blank" if blank else EXAMPLE
    source = resources.files("zonewarden") / "examples" / chosen
    tmp: Path | None = None
    try:
        parent = directory.absolute().parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
        with resources.as_file(source) as src:
            shutil.copytree(src, tmp, dirs_exist_ok=True)
        if directory.exists():
            directory.rmdir()
        os.replace(tmp, directory)
    except OSError as e:
        fail(f"cannot create {directory}: {e.strerror or e}")
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    what = "a blank skeleton" if blank else f"the {EXAMPLE} example"
    out.print(f"created {directory} from {what}; next: zonewarden check {directory}", highlight=False, markup=False)


def main() -> None:
    """Console entry point: turns any unexpected exception into one paragraph and exit status 3."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # pragma: no cover - a bug; the message asks for a report
        if os.environ.get("ZONEWARDEN_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/] {type(e).__name__}: {e}. This is a bug in zonewarden; "
                  "run again with ZONEWARDEN_DEBUG=1 for the traceback and please report it.", highlight=False)
        sys.exit(3)


from . import cli_advisories, cli_change, cli_crosswalk, cli_web  # noqa: E402, F401  (they register their commands on `app`)

if __name__ == "__main__":  # pragma: no cover
    from zonewarden.cli import main as _main  # the imported module, on whose `app` cli_change registered

    _main()
