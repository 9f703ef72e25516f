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

SECTIONS = ["summary", "sl-charts", "diagram", "zone-sheets", "conduit-sheets", "reg-risk", "reg-gaps",
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
    plant = example_review.plant
    assert page.attrs["data-zone-sheet"] == set(plant.zones)
    assert page.attrs["data-conduit-sheet"] == set(plant.conduits)
    assert page.attrs["data-chart"] == set(plant.zones)
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
        if reg.key in ("zones", "conduits"):
            continue
        section = html.split(f'id="reg-{reg.key}"', 1)[1].split("</section>", 1)[0]
        assert section.count("<tr>") == len(reg.rows) + (1 if reg.rows else 0), reg.key
    gaps = R.gaps(example_review)
    assert len(gaps.rows) == len(example_review.assessment.gaps) > 100
    assert [r[0] for r in gaps.rows] == sorted(r[0] for r in gaps.rows)  # grouped by owner role


def test_executive_summary_counts_what_the_registers_hold(example_review):
    s = report_summary(example_review)
    a = example_review.assessment
    assert s["open_gaps"] == sum(1 for g in a.gaps if g.status not in R.CLOSED)
    assert s["zones_meeting"] == sum(1 for z in a.zones if z.sl_achieved.meets(z.sl_target))
    assert s["open_verdicts"] == sum(1 for v in example_review.traffic.verdicts if v.status not in R.CLOSED) > 0
    assert len(s["below_policy"]) == sum(1 for t in example_review.paths.targets if t.below_policy)
    assert f"{s['open_gaps']} gaps are open" in " ".join(s["sentences"])


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
