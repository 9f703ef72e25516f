#!/usr/bin/env python3
"""Documents for the 20,000-asset plant (500 zones, 2,000 conduits): what rendering costs on top of the analysis.

Times, in one run, the baseline `zonewarden assess --format json` work (assess + the JSON contract) and
then the review (assessment + attack paths), the diagram, the HTML report, the XLSX workbook and the
CRS Markdown, each as a ratio to the baseline. The PDF is timed on the example plant only: WeasyPrint
lays out about 7 pages a second, and the big plant's report runs to thousands of pages.

    python benchmarks/bench_report.py
"""

from __future__ import annotations

import json
import sys
import time

from common import HERE, PLANT, best_of, ensure_plant

from zonewarden.analysis.assess import assess
from zonewarden.analysis.review import review
from zonewarden.model.load import load_plant
from zonewarden.render.assessment import assessment_json
from zonewarden.render.crs import crs_markdown
from zonewarden.render.diagram import zone_diagram
from zonewarden.render.report import report_html, report_pdf, report_xlsx


def main() -> int:
    plant = load_plant(ensure_plant(PLANT))
    base = best_of(2, lambda: json.dumps(assessment_json(assess(plant))))
    keep: dict = {}
    t_review = best_of(1, lambda: keep.setdefault("r", review(plant)))
    r = keep["r"]
    rows = [("review (assessment + attack paths)", t_review)]
    out: dict = {}
    for name, fn in [("diagram (SVG)", lambda: zone_diagram(plant, r.assessment)),
                     ("report HTML", lambda: report_html(r)), ("report XLSX", lambda: report_xlsx(r)),
                     ("CRS Markdown", lambda: crs_markdown(r))]:
        rows.append((name, best_of(2, lambda fn=fn, name=name: out.__setitem__(name, fn()))))
    print(f"{len(plant.assets):,} assets, {len(plant.zones)} zones, {len(plant.conduits):,} conduits, "
          f"{len(r.assessment.gaps):,} gaps")
    print(f"baseline: assess + JSON {base:.2f} s")
    for name, secs in rows:
        size = len(out[name]) / 1e6 if name in out else None
        print(f"{name:36} {secs:6.2f} s  {secs / base:5.2f}x baseline" + (f"  {size:.1f} MB" if size else ""))
    example = load_plant(HERE.parent / "examples" / "fill-finish")
    small = review(example)
    t = time.perf_counter()
    pdf = report_pdf(small)
    print(f"example plant report PDF: {time.perf_counter() - t:.1f} s, {len(pdf) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
