"""`zonewarden procure`: a procurement pack as Markdown, JSON or a supplier response workbook, and the
reading of a filled workbook back.

The workbook's `requirements` sheet has one row per 4-2 item with a `response` column (meets / partly /
no, offered as a drop-down) and an `evidence` column; `read_response` reads it back and names the cell
of every row it cannot use.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.procurement import RESPONSES, ProcurementPack
from ..standard.catalog import Catalog, normalize_id

FORMATS = ("md", "xlsx", "json")
COLUMNS = ["id", "title", "FR", "from SL", "kind", "guidance", "zone already covers it by", "response", "evidence",
           "comment"]
RESPONSE_COL = COLUMNS.index("response")


def pack_markdown(pack: ProcurementPack) -> str:
    type_name = pack.component_type.replace("_", " ")
    article = "an" if type_name[0] in "aeiou" else "a"
    lines = [f"# Procurement requirements: {type_name} for zone {pack.zone_name} (`{pack.zone}`)", "",
             f"Plant {pack.plant}. The zone's target security level is SL-T `{pack.sl_target}` (FR order IAC UC SI "
             f"DC RDF TRE RA), so the component must reach capability SL-C `{pack.sl_target}`: "
             f"{len(pack.items)} requirements of IEC 62443-4-2 for {article} {type_name}.", "",
             *_for_assets(pack),
             "## Component requirements (IEC 62443-4-2)", "",
             "| id | title | FR | from SL | zone already covers it by |", "|---|---|---|---|---|"]
    lines += [f"| {i.id} | {i.title} | {i.fr} | {i.level} | {', '.join(i.covered_by)} |" for i in pack.items]
    lines += ["", f"## Supplier development process (IEC 62443-4-1), maturity level {pack.maturity}", "",
              f"The supplier shows each practice below at ML {pack.maturity} or higher.", "",
              "| id | title | practice |", "|---|---|---|"]
    lines += [f"| {p['id']} | {p['title']} | {p['practice'] or ''} |" for p in pack.practices]
    lines += ["", "## Evidence that would show it", ""] + [f"- {c}" for c in pack.certificates]
    lines += ["", "## Supplier response", "",
              "Answer every requirement in the workbook (`zonewarden procure ... -o pack.xlsx`): meets, partly or no, "
              "with the evidence (certificate, test report, manual section)."]
    return "\n".join(lines) + "\n"


def _for_assets(pack: ProcurementPack) -> list[str]:
    if not pack.for_assets:
        return []
    return [f"For the planned asset{'s' if len(pack.for_assets) > 1 else ''} of this zone and type: "
            + ", ".join(f"`{a}`" for a in pack.for_assets) + ".", ""]


def pack_xlsx(pack: ProcurementPack) -> bytes:
    """The supplier response workbook: `about`, `requirements`, `practices`, `evidence` sheets."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    wb.set_properties({"title": f"62443-4-2 requirements for {pack.zone}", "author": "zonewarden"})
    head = wb.add_format({"bold": True, "bg_color": "#263238", "font_color": "#ffffff", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    answer = wb.add_format({"bg_color": "#fff8e1", "border": 1, "valign": "top", "locked": False})
    bold = wb.add_format({"bold": True})
    about = wb.add_worksheet("about")
    rows = [("plant", pack.plant), ("zone", f"{pack.zone_name} ({pack.zone})"), ("zone SL-T", str(pack.sl_target)),
            ("component type", pack.component_type),
            ("for planned assets", ", ".join(pack.for_assets) or "none yet"),
            ("4-1 maturity asked", f"ML {pack.maturity}"),
            ("how to answer", "In the sheet 'requirements', set 'response' to meets, partly or no for every row and "
                              "name the evidence. Do not change the 'id' column."),
            ("read back with", "zonewarden procure PLANT --import THIS.xlsx --asset ASSET")]
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 100, wrap)
    for i, (k, v) in enumerate(rows):
        about.write(i, 0, k, bold)
        about.write(i, 1, v)

    def sheet(name: str, columns: list[str], data: list[list[Any]], widths: list[int], answer_at: int) -> None:
        ws = wb.add_worksheet(name)
        for c, (col, w) in enumerate(zip(columns, widths, strict=True)):
            ws.write(0, c, col, head)
            ws.set_column(c, c, w, wrap if w >= 30 else None)
        for r, row in enumerate(data, 1):
            for c, value in enumerate(row):
                ws.write(r, c, value, answer if c >= answer_at else None)
        n = max(len(data), 1)
        ws.data_validation(1, answer_at, n, answer_at, {"validate": "list", "source": list(RESPONSES),
                                                       "input_title": "Response",
                                                       "input_message": "meets, partly or no"})
        ws.freeze_panes(1, 1)
        ws.autofilter(0, 0, n, len(columns) - 1)

    sheet("requirements", COLUMNS,
          [[i.id, i.title, i.fr, i.level, i.kind, i.guidance, ", ".join(i.covered_by), "", "", ""] for i in pack.items],
          [14, 36, 6, 8, 6, 60, 24, 11, 40, 30], RESPONSE_COL)
    sheet("practices", ["id", "title", "practice", "ML asked", "response", "evidence", "comment"],
          [[p["id"], p["title"], p["practice"] or "", p["maturity"], "", "", ""] for p in pack.practices],
          [10, 40, 12, 9, 11, 40, 30], 4)
    ev = wb.add_worksheet("evidence")
    ev.write(0, 0, "evidence that would show it", head)
    ev.write(0, 1, "reference supplied (certificate number, report)", head)
    ev.set_column(0, 0, 100, wrap)
    ev.set_column(1, 1, 50, answer)
    for r, c in enumerate(pack.certificates, 1):
        ev.write(r, 0, c)
    wb.close()
    return buf.getvalue()


@dataclass
class Response:
    """What a filled workbook says, row by row, and every row that could not be used."""

    answers: dict[str, tuple[str, str]] = field(default_factory=dict)  # requirement id -> (response, evidence)
    problems: list[str] = field(default_factory=list)
    rows: int = 0


class ResponseUnreadable(ValueError):
    """The file is not a workbook, or has no `requirements` sheet with the expected header."""


def read_response(path: Path, catalog: Catalog, component_type: str) -> Response:
    """Read the `requirements` sheet of a filled response workbook (openpyxl, read-only)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ResponseUnreadable(f"{path}: not a readable .xlsx workbook ({e})") from None
    if "requirements" not in wb.sheetnames:
        raise ResponseUnreadable(f"{path}: no sheet named 'requirements' (sheets: {', '.join(wb.sheetnames)})")
    ws = wb["requirements"]
    rows = ws.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    missing = [c for c in ("id", "response", "evidence") if c not in header]
    if missing:
        raise ResponseUnreadable(f"{path}: sheet 'requirements' row 1 lacks the column(s) {', '.join(missing)}")
    col = {name: header.index(name) for name in ("id", "response", "evidence")}
    letter = {name: _column_letter(i) for name, i in col.items()}
    out = Response()
    first_row: dict[str, int] = {}
    for n, row in enumerate(rows, 2):
        cells = list(row) + [None] * (len(header) - len(row))
        raw_id, raw_resp, raw_ev = (cells[col["id"]], cells[col["response"]], cells[col["evidence"]])
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        out.rows += 1
        where = f"{path.name}: requirements!{letter['id']}{n}"
        rid = normalize_id(str(raw_id or ""))
        req = catalog.find(rid) if rid else None
        if req is None or req.part != "4-2":
            out.problems.append(f"{where}: {raw_id!r} is not a 62443-4-2 requirement id")
            continue
        if component_type not in req.types:
            out.problems.append(f"{where}: {req.id} does not apply to a {component_type}")
            continue
        if req.id in first_row:
            out.problems.append(f"{where}: {req.id} was already answered in row {first_row[req.id]}")
            continue
        first_row[req.id] = n
        resp = str(raw_resp or "").strip().lower()
        if resp not in RESPONSES:
            cell = f"{path.name}: requirements!{letter['response']}{n}"
            out.problems.append(f"{cell}: {req.id}: " + (f"{raw_resp!r} is not one of meets, partly, no"
                                                         if resp else "no response (expected meets, partly or no)"))
            continue
        out.answers[req.id] = (resp, str(raw_ev or "").strip())
    wb.close()
    return out


def _column_letter(index: int) -> str:
    s, i = "", index + 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
