"""The report: every section, every zone and conduit, the same rows in HTML and XLSX, and a real PDF."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from zonewarden.model.sl import FRS
from zonewarden.render import registers as R
from zonewarden.render.report import report_html, report_pdf, report_xlsx
from zonewarden.render.report import summary as report_summary

from ..cli.test_cli import zw
from ..conftest import EXAMPLE

SECTIONS = ["summary", "sl-charts", "diagram", "zone-sheets", "reg-external", "conduit-sheets", "reg-risk", "reg-gaps",
            "reg-compensations", "reg-depth", "reg-findings", "reg-traffic", "reg-assets", "reg-tracking"]


class Collect(HTMLParser):
    """Ids, data-* attributes and every URL the page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.attrs: dict[str, set[str]] = {}
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "id":
                self.ids.add(v)
            if k.startswith("data-"):
                self.attrs.setdefault(k, set()).add(v)
            if (k in ("src", "href") and v and not v.startswith("#")) or tag == "link":
                self.loads.append(f"{tag} {k}={v}")


@pytest.fixture(scope="module")
def html(example_review):
    return report_html(example_review)


def parsed(text: str) -> Collect:
    c = Collect()
    c.feed(text)
    return c


def test_report_has_every_section_zone_conduit_and_countermeasure(example_review, html):
    page = parsed(html)
    assert [s for s in SECTIONS if s not in page.ids] == []
    plant, a = example_review.plant, example_review.assessment
    # zone sheets and SL charts for the zones of the system under consideration; enterprise lies outside it
    assert page.attrs["data-zone-sheet"] == {z.id for z in a.zones} == set(plant.zones) - {"enterprise"}
    assert page.attrs["data-external-zone"] == {"enterprise"}
    assert page.attrs["data-conduit-sheet"] == set(plant.conduits)
    assert page.attrs["data-chart"] == {z.id for z in a.zones}
    # the diagram draws every zone and every conduit, each with its countermeasures
    assert {f"zone-{z}" for z in plant.zones} <= page.ids
    assert {f"conduit-{c}" for c in plant.conduits} <= page.ids
    assert page.attrs["data-conduit"] >= set(plant.conduits)


def test_report_is_self_contained(html):
    assert parsed(html).loads == []
    assert not re.search(r"url\(\s*['\"]?(?!#|data:)", html)
    assert "@import" not in html


def test_report_tables_hold_the_registers(example_review, html):
    for reg in R.all_registers(example_review):
        if reg.key in ("zones", "conduits", "external"):
            continue
        section = html.split(f'id="reg-{reg.key}"', 1)[1].split("</section>", 1)[0]
        assert section.count("<tr>") == len(reg.rows) + (1 if reg.rows else 0), reg.key
    gaps = R.gaps(example_review)
    assert len(gaps.rows) == len(example_review.assessment.gaps) > 100
    assert [r[0] for r in gaps.rows] == sorted(r[0] for r in gaps.rows)  # grouped by owner role


def register_rows(reg: R.Register) -> list[dict]:
    return [dict(zip(reg.columns, row, strict=True)) for row in reg.rows]


def test_gap_register_says_each_gaps_state_and_the_conduits_lacking_the_measure(example_review, html):
    a = example_review.assessment
    rows = {r["id"]: r for r in register_rows(R.gaps(example_review))}
    words = {"assets_short": "assets short", "system_level": "system level", "partly_bounded": "partly bounded"}
    assert {g.id: words[g.state] for g in a.gaps} == {k: r["state"] for k, r in rows.items()}
    partly = [g for g in a.gaps if g.state == "partly_bounded"]
    assert partly, "the example has partly bounded gaps"
    for g in partly:
        assert rows[g.id]["conduits lacking it"] == ", ".join(g.conduits) and rows[g.id]["assets"] == ""
    # supervisory: its segmentation enhancements are met on some conduits, not on eng-sup and sup-agv
    assert rows["gap:supervisory:SR 5.1 RE 1"]["conduits lacking it"] == "eng-sup, sup-agv"
    for g in a.gaps:
        if g.state == "system_level":
            assert rows[g.id]["assets"] == "" and rows[g.id]["suppliers"] == "", g.id
    section = html.split('id="reg-gaps"', 1)[1].split("</section>", 1)[0]
    assert "<th>state</th>" in section and "<td>partly bounded</td>" in section


def test_zones_register_counts_na_and_external_register_lists_entry_points(example_review):
    zones = {r["zone"]: r for r in register_rows(R.zones(example_review))}
    assert "enterprise" not in zones
    # sis: SR 2.6 declared N/A by the asset owner (it has no RE); inferred: SR 1.6, 1.6 RE 1, 2.2, 2.2 RE 1 (no
    # wireless asset) and SR 1.13, 1.13 RE 1, 4.1 RE 1 (its one conduit reaches cell-1, not an external zone)
    assert (zones["sis"]["N/A declared"], zones["sis"]["N/A inferred"]) == (1, 7)
    # agv holds the wireless access points: the wireless requirements apply there
    assert zones["agv"]["N/A declared"] == 0 and zones["agv"]["N/A inferred"] == 3
    (ent,) = register_rows(R.external(example_review))
    assert (ent["zone"], ent["entry point"], ent["conduits"], ent["threat scenarios from it"]) == (
        "enterprise", "yes", "ent-dmz", "ransomware-it")
    assert ent["why outside"] == "trust untrusted, so outside by default"


def test_executive_summary_counts_what_the_registers_hold(example_review):
    s = report_summary(example_review)
    a = example_review.assessment
    assert s["open_gaps"] == sum(1 for g in a.gaps if g.status not in R.CLOSED)
    assert s["zones_meeting"] == sum(1 for z in a.zones if z.sl_achieved.meets(z.sl_target))
    assert s["open_verdicts"] == sum(1 for v in example_review.traffic.verdicts if v.status not in R.CLOSED) > 0
    assert len(s["below_policy"]) == sum(1 for t in example_review.paths.targets if t.below_policy)
    text = " ".join(s["sentences"])
    assert f"{s['open_gaps']} gaps are open" in text
    assert "enterprise lies outside the system under consideration" in text
    assert s["zones"] == len(a.zones) == 8 and s["external"] == ["enterprise"]
    by_state = {k: n for k, n in s["gaps_by_state"]}
    assert sum(by_state.values()) == s["open_gaps"] and f"{by_state['partly bounded']} partly bounded" in text


def test_where_to_act_first_ranks_by_residual_risk_and_says_why(example_review, html):
    s = report_summary(example_review)
    ranked = [z.id for z, _ in s["act_first"]]
    # supervisory keeps ransomware at 15 (high); the sis, short of its safety floor, follows; the zone with the most
    # open gaps (a residual of 10, medium) comes after both
    most_gaps = max(example_review.assessment.zones, key=lambda z: R.open_count(z.gaps)).id
    assert ranked[:2] == ["supervisory", "sis"] and most_gaps not in ranked[:2]
    assert s["act_first"][0][1].why.startswith("scenario ransomware-it keeps residual risk 15 (high")
    assert "<h3>Where to act first</h3>" in html and s["act_first"][0][1].why in html


def test_sl_chart_bars_are_the_zone_vectors(example_review, html):
    zone = example_review.assessment.zones[0]
    chart = html.split(f'data-chart="{zone.id}"', 1)[1].split("</svg>", 1)[0]
    bars = dict(re.findall(r'class="sl-a[^"]*" data-fr="(\w+)" data-level="(\d)"', chart))
    ticks = dict(re.findall(r'class="sl-t" data-fr="(\w+)" data-level="(\d)"', chart))
    assert {k: int(v) for k, v in bars.items()} == dict(zip(FRS, zone.sl_achieved, strict=True))
    assert {k: int(v) for k, v in ticks.items()} == dict(zip(FRS, zone.sl_target, strict=True))


def test_workbook_has_one_sheet_per_register_with_frozen_filtered_headers(example_review):
    wb = load_workbook(io.BytesIO(report_xlsx(example_review)))
    regs = R.all_registers(example_review)
    assert wb.sheetnames == ["summary"] + [r.key for r in regs]
    for reg in regs:
        ws = wb[reg.key]
        assert [c.value for c in ws[1]] == reg.columns
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
        assert ws.max_row == max(len(reg.rows), 0) + 1, reg.key
        first = [c.value for c in ws[2]] if reg.rows else []
        assert first == [None if v == "" else v for v in reg.rows[0]] if reg.rows else True
    summary = {row[0].value: row[1].value for row in wb["summary"].iter_rows()}
    assert summary["zones outside the SuC"] == "enterprise" and summary["zones"] == 8


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) reads the PDF back; "
                    ".ci/run installs it")
def test_pdf_is_the_same_content_paginated(example_review, tmp_path):
    pdf = report_pdf(example_review)
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.count("\f")
    assert pages > 10
    for needle in ["Executive summary", "Gap register by owner role", "Traffic verdicts", "Defense in depth",
                   *example_review.plant.zones]:
        assert needle in text, needle
    assert re.search(r"page 1 of \d+", text)


def test_report_command_writes_each_format_and_refuses_an_unknown_one(tmp_path):
    for suffix in ("html", "xlsx"):
        out = tmp_path / f"r.{suffix}"
        res = zw("report", str(EXAMPLE), "--traffic", str(EXAMPLE / "traffic.pcap"), "-o", str(out))
        assert res.returncode == 0, res.stderr
        assert out.stat().st_size > 10_000
    assert 'id="reg-traffic"' in (tmp_path / "r.html").read_text()
    res = zw("report", str(EXAMPLE), "-o", str(tmp_path / "r.docx"))
    assert res.returncode == 2 and ".html, .pdf, .xlsx" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "r.docx").exists()


def test_report_without_traffic_has_no_traffic_section(plant_file, tmp_path):
    path = plant_file("""\
        zones:
          z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
        assets:
          a: {zone: z, type: embedded_device, addresses: [10.0.0.1], capability: {sl: 1}}
        """)
    out = tmp_path / "r.html"
    res = zw("report", str(path), "-o", str(out))
    assert res.returncode == 0, res.stderr
    page = parsed(out.read_text())
    assert "reg-traffic" not in page.ids and "zone-sheet-z" in page.ids


def test_crosswalk_of_the_report_counts_no_na_requirement_as_a_gap(small_review):
    # SR 1.13 applies in scada and on corp-scada (they reach corp), and is inferred N/A in control and on
    # scada-control; no countermeasure meets it anywhere. SR 2.3: declared N/A in scada, a gap in control.
    states = {rid: st for item in small_review.coverage("csf").items for rid, st in item.requirements.items()}
    assert sorted(g["where"] for g in states["SR 1.13"].gaps) == ["corp-scada", "scada"]
    assert states["SR 1.13"].state == "gap" and states["SR 1.13"].met_in == []
    assert [g["where"] for g in states["SR 2.3"].gaps] == ["control"]
