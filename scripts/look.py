#!/usr/bin/env python3
"""Render every document of the example plant, and the 500-zone diagram, to PNG for a look by eye.

    python scripts/look.py [OUT]      # default OUT: benchmarks/out/look

HTML and SVG go through headless Chromium (Debian's `chromium`), PDF pages through `pdftoppm`
(poppler-utils). Prints the PNG files it wrote. The tests in tests/render check the structure;
this is for what a test cannot judge: whether it reads well.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "fill-finish"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def zonewarden(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "zonewarden.cli", *args], check=True, cwd=ROOT)


def screenshot(source: Path, png: Path, width: int, height: int) -> Path:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("scripts/look.py needs Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                        f"--window-size={width},{height}", source.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    return png


def pdf_pages(pdf: Path, prefix: Path, first: int, last: int) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        sys.exit("scripts/look.py needs pdftoppm (apt-get install poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(first), "-l", str(last), str(pdf), str(prefix)],
                   check=True)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def diagram_page(plant_path: Path, out: Path, width: int) -> tuple[Path, int, int]:
    """The diagram alone (OUT.svg), and a page (OUT.html) showing it `width` pixels wide, for a screenshot."""
    import re

    from zonewarden.analysis.assess import assess
    from zonewarden.model.load import load_plant
    from zonewarden.render.diagram import zone_diagram

    plant = load_plant(plant_path)
    svg = zone_diagram(plant, assess(plant))
    out.write_text(svg, encoding="utf-8")
    w, h = (float(x) for x in re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg).groups())
    page = out.with_suffix(".html")
    page.write_text(f"<!DOCTYPE html><html><body style='margin:0'><style>svg{{width:{width}px;height:auto;"
                    f"display:block}}</style>{svg}</body></html>", encoding="utf-8")
    return page, width, int(width * h / w) + 1


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "benchmarks" / "out" / "look"
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    traffic = str(EXAMPLE / "traffic.pcap")
    zonewarden("report", str(EXAMPLE), "--traffic", traffic, "-o", str(out / "report.html"))
    zonewarden("report", str(EXAMPLE), "--traffic", traffic, "-o", str(out / "report.pdf"))
    zonewarden("crs", str(EXAMPLE), "-o", str(out / "crs.html"))
    zonewarden("crs", str(EXAMPLE), "-o", str(out / "crs.pdf"))
    zonewarden("procure", str(EXAMPLE), "--zone", "cell-1", "--type", "embedded_device", "-o", str(out / "pack.md"))
    made.append(screenshot(out / "report.html", out / "report-html-top.png", 1300, 2600))
    made.append(screenshot(out / "crs.html", out / "crs-html-top.png", 1300, 2600))
    made += pdf_pages(out / "report.pdf", out / "report-pdf", 1, 6)
    made += pdf_pages(out / "crs.pdf", out / "crs-pdf", 1, 5)
    page, w, h = diagram_page(EXAMPLE, out / "diagram-example.svg", 1600)
    made.append(screenshot(page, out / "diagram-example.png", w, h))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from common import ensure_plant

    big = ensure_plant(ROOT / "benchmarks" / "out" / "plant-20k.yaml")
    page, w, h = diagram_page(big, out / "diagram-500.svg", 4000)  # the HTML report zooms further
    made.append(screenshot(page, out / "diagram-500.png", w, h))
    for p in made:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
