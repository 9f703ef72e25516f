"""`zonewarden report`: the assessment report as one self-contained HTML file, its PDF, and an XLSX workbook.

HTML and PDF share one template (docs/report.md lists its sections); the workbook has a summary sheet
and one sheet per register of `registers.py`, the same rows the HTML tables show.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from markupsafe import Markup

from ..analysis.findings import SEVERITIES
from ..analysis.priorities import where_to_act
from ..analysis.review import Review
from . import registers as R
from .diagram import zone_diagram
from .documents import ROLE_TITLES, conduit_sheets, environment, external_sheets, meta, zone_sheets

FORMATS = ("html", "pdf", "xlsx")
SHEET_REGISTERS = ("zones", "external", "conduits")  # shown with the zone and conduit sheets, not on their own


def summary(r: Review) -> dict[str, Any]:
    """The figures of the executive summary."""
    a = r.assessment
    live = [g for g in a.gaps if g.status not in R.CLOSED]
    residual = [s for z in a.zones for s in z.scenarios if s.residual_band != "tolerable"]
    below = [t for t in r.paths.targets if t.below_policy]
    unproven = [c for c in r.paths.compensations if not c.proven]
    verdicts = [v for v in r.traffic.verdicts if v.status not in R.CLOSED] if r.traffic else []
    by_sev = Counter(g.severity for g in live)
    zones = {z.id: z for z in a.zones}
    figures = {
        "zones": len(a.zones), "conduits": len(a.conduits),
        "assets": sum(1 for x in r.plant.assets.values() if x.zone not in a.external),
        "zones_meeting": sum(1 for z in a.zones if z.sl_achieved.meets(z.sl_target)),
        "conduits_meeting": sum(1 for c in a.conduits if c.sl_achieved.meets(c.sl_target)),
        "external": list(a.external), "not_applicable": sum(len(z.not_applicable) for z in a.zones),
        "gaps": len(a.gaps), "open_gaps": len(live),
        "gaps_by_severity": [(s, by_sev[s]) for s in reversed(SEVERITIES) if by_sev[s]],
        "gaps_by_state": sorted(Counter(R.gap_state(g.state) for g in live).items()),
        "gaps_by_role": sorted(Counter(g.owner_role for g in live).items()),
        "scenarios": sum(len(z.scenarios) for z in a.zones), "residual_above": residual,
        "targets": len(r.paths.targets), "below_policy": below, "unproven": unproven,
        "harden": r.paths.harden, "traffic": r.traffic is not None, "open_verdicts": len(verdicts),
        "verdicts_by_severity": [(s, n) for s in reversed(SEVERITIES)
                                 if (n := sum(1 for v in verdicts if v.severity == s))],
        "act_first": [(zones[p.zone], p) for p in where_to_act(a, r.paths)[:5]],
        "findings_high": [f for f in a.findings if f.severity in ("high", "critical")
                          and a.status(f.id) not in R.CLOSED],
    }
    figures["sentences"] = _sentences(r, figures)
    return figures


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _sentences(r: Review, s: dict[str, Any]) -> list[str]:
    """The executive summary in words, one sentence per finding that matters."""
    out = [f"{r.plant.plant.name} has {_plural(s['assets'], 'asset')} in {_plural(s['zones'], 'zone')} joined by "
           f"{_plural(s['conduits'], 'conduit')}."]
    if s["external"]:
        out[0] = out[0][:-1] + (f"; {', '.join(s['external'])} {'lies' if len(s['external']) == 1 else 'lie'} outside "
                                "the system under consideration (entry points, not assessed).")
    short = s["zones"] - s["zones_meeting"]
    out.append("Every zone reaches its target security level." if not short else
               f"{short} of {s['zones']} zones fall short of their target security level on at least one "
               "foundational requirement.")
    if s["open_gaps"]:
        sev = ", ".join(f"{n} {k}" for k, n in s["gaps_by_severity"])
        roles = ", ".join(f"{ROLE_TITLES.get(k, k)} {n}" for k, n in s["gaps_by_role"])
        states = ", ".join(f"{n} {k}" for k, n in s["gaps_by_state"])
        out.append(f"{_plural(s['open_gaps'], 'gap')} {'is' if s['open_gaps'] == 1 else 'are'} open ({sev}; "
                   f"{states}); by the role that must act: {roles}.")
    above = s["residual_above"]
    out.append("After countermeasures, every risk scenario is at or below the tolerable risk." if not above else
               f"After countermeasures, {_plural(len(above), 'risk scenario')} stay above the tolerable risk: "
               + ", ".join(f"{sc.id} on {sc.zone} ({sc.residual_risk})" for sc in above) + ".")
    if s["below_policy"]:
        out.append(f"{_plural(len(s['below_policy']), 'critical asset')} sit behind fewer independent layers than "
                   "the depth policy asks" + (f"; hardening {', '.join(s['harden'])} would lift them all"
                                              if s["harden"] else "") + ".")
    if s["unproven"]:
        out.append(f"{_plural(len(s['unproven']), 'compensation')} can be bypassed on some path and do not count.")
    if s["traffic"]:
        sev = ", ".join(f"{n} {k}" for k, n in s["verdicts_by_severity"])
        out.append(f"The captured traffic leaves {_plural(s['open_verdicts'], 'open verdict')}"
                   + (f" ({sev})." if sev else "."))
    return out


CROSSWALK_NOTE = ("No official crosswalk from IEC 62443 to these frameworks exists; each edge carries its provenance "
                  "(NIST's published tables, composed, or zonewarden curation) and confidence, and only edges of "
                  "medium confidence or better count here.")


def crosswalk_summary(r: Review) -> list[tuple[str, int, dict[str, int]]]:
    from ..standard.crosswalk import FRAMEWORKS

    return [(c.framework.name, len(c.units()), c.rollup()) for c in (r.coverage(fw) for fw in FRAMEWORKS)]


def report_html(r: Review, *, for_print: bool = False) -> str:
    """The whole report; `for_print` drops the zoom script and lays the diagram out for a page."""
    diagram = zone_diagram(r.plant, r.assessment)
    registers = R.all_registers(r)
    context = {**meta(r, f"Security assessment: {r.plant.plant.name}"), "s": summary(r), "zones": zone_sheets(r),
               "external": external_sheets(r), "conduits": conduit_sheets(r), "registers": registers,
               "reg_by_key": {g.key: g for g in registers}, "sheet_registers": SHEET_REGISTERS,
               "diagram": Markup(diagram),
               "for_print": for_print, "tracking_file": r.assessment.tracking.file,
               "crosswalk_summary": crosswalk_summary(r), "crosswalk_note": CROSSWALK_NOTE}
    return environment().get_template("report.html.j2").render(**context)


def report_pdf(r: Review) -> bytes:
    from .documents import html_to_pdf

    return html_to_pdf(report_html(r, for_print=True))


def report_xlsx(r: Review) -> bytes:
    """One sheet per register with frozen headers and filters, after a summary sheet."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    m = meta(r, "")
    wb.set_properties({"title": f"Security assessment: {m['plant']}", "author": "zonewarden",
                       "comments": f"zonewarden {m['version']}; plant sha256 {m['fingerprint']}"})
    head = wb.add_format({"bold": True, "bg_color": "#263238", "font_color": "#ffffff", "text_wrap": True,
                          "valign": "top", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    bold = wb.add_format({"bold": True})
    s = summary(r)
    ws = wb.add_worksheet("summary")
    rows: list[tuple[str, Any]] = [
        ("plant", m["plant"]), ("site", m["site"] or ""), ("asset owner", m["owner"] or ""), ("as of", m["date"]),
        ("plant sha256", m["fingerprint"]), ("zonewarden", m["version"]), ("zones", s["zones"]),
        ("zones meeting SL-T", s["zones_meeting"]),
        ("zones outside the SuC", ", ".join(s["external"]) or "none"),
        ("requirements not applicable (zone x requirement)", s["not_applicable"]), ("conduits", s["conduits"]),
        ("conduits meeting SL-T", s["conduits_meeting"]), ("assets", s["assets"]), ("gaps", s["gaps"]),
        ("open gaps", s["open_gaps"]),
        *((f"open gaps {state}", n) for state, n in s["gaps_by_state"]),
        ("scenarios above tolerable after countermeasures", len(s["residual_above"])),
        ("targets below depth policy", len(s["below_policy"])), ("unproven compensations", len(s["unproven"])),
    ]
    if s["traffic"]:
        rows.append(("open traffic verdicts", s["open_verdicts"]))
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 70)
    for i, (k, v) in enumerate(rows):
        ws.write(i, 0, k, bold)
        ws.write(i, 1, v)
    for reg in R.all_registers(r):
        sheet = wb.add_worksheet(reg.key)
        for c, name in enumerate(reg.columns):
            sheet.write(0, c, name, head)
            width = max([len(name)] + [len(str(row[c])) for row in reg.rows[:500] if row[c] is not None])
            sheet.set_column(c, c, min(max(width + 2, 8), 60), wrap if width > 60 else None)
        for i, row in enumerate(reg.rows, 1):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    sheet.write(i, c, value)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(reg.rows), 1), len(reg.columns) - 1)
        if reg.note:
            sheet.write_comment(0, 0, reg.note, {"x_scale": 3, "y_scale": 1.5})
    wb.close()
    return buf.getvalue()
