"""The zone-and-conduit diagram: a well-formed, deterministic SVG whose geometry a test can read back.

Boxes are read from the `zw-box` rect of each `data-zone` group, conduits from the polyline of each
`data-conduit` group; the checks are the promises of the drawing: Purdue bands top to bottom, boxes
apart, conduits orthogonal and never through a box, colours from the open gaps.
"""

from __future__ import annotations

import bisect
import itertools
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from zonewarden.analysis.assess import assess
from zonewarden.model.load import load_plant
from zonewarden.model.tracking import load_tracking
from zonewarden.render.diagram import zone_diagram

from .conftest import SMALL

NS = "{http://www.w3.org/2000/svg}"
RED, GREEN = "#c62828", "#2e7d32"
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

Box = tuple[float, float, float, float]


def example_dir() -> Path:
    return Path(str(resources.files("zonewarden") / "examples" / "fill-finish"))


@pytest.fixture(scope="module")
def example():
    plant = load_plant(example_dir())
    tracking, _ = load_tracking(example_dir() / "tracking.yaml")
    assessment = assess(plant, tracking)
    return plant, assessment, zone_diagram(plant, assessment)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from gen_plant import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    path = tmp_path_factory.mktemp("synthetic") / "plant.yaml"
    path.write_text(generate(20_000, 500, 2_000))
    plant = load_plant(path)
    assessment = assess(plant)
    start = time.perf_counter()
    svg = zone_diagram(plant, assessment)
    return plant, svg, time.perf_counter() - start


def zones_of(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-zone"): g for g in root.iter(f"{NS}g") if g.get("data-zone") is not None}


def conduits_of(root: ET.Element) -> dict[str, ET.Element]:
    """The conduit groups themselves (those with the id), not their separately drawn labels."""
    return {g.get("data-conduit"): g for g in root.iter(f"{NS}g")
            if g.get("data-conduit") is not None and g.get("id")}


def box(group: ET.Element) -> Box:
    rect = next(r for r in group.iter(f"{NS}rect") if r.get("class") == "zw-box")
    return tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def points(group: ET.Element) -> list[tuple[float, float]]:
    text = group.find(f"{NS}polyline").get("points")
    return [(float(x), float(y)) for x, y in (p.split(",") for p in text.split())]


def crosses_interior(a: tuple[float, float], b: tuple[float, float], bx: Box) -> bool:
    """An axis-parallel segment a-b passes through the open interior of the box."""
    x, y, w, h = bx
    return (min(a[0], b[0]) < x + w and max(a[0], b[0]) > x and min(a[1], b[1]) < y + h and max(a[1], b[1]) > y)


def check_geometry(plant, root: ET.Element) -> None:
    """Boxes apart; every conduit segment horizontal or vertical, and clear of every box but its ends'."""
    boxes = {z: box(g) for z, g in zones_of(root).items()}
    by_top = sorted(boxes.items(), key=lambda kv: kv[1][1])
    for i, (za, (xa, ya, wa, ha)) in enumerate(by_top):
        for zb, (xb, yb, wb, _) in by_top[i + 1:]:
            if yb >= ya + ha:
                break
            assert xa + wa <= xb or xb + wb <= xa, f"boxes {za} and {zb} overlap"
    tops = [b[1] for _, b in by_top]
    for cid, group in conduits_of(root).items():
        ends = set(plant.conduits[cid].zones)
        pts = points(group)
        assert len(pts) >= 2
        for a, b in itertools.pairwise(pts):
            assert a[0] == b[0] or a[1] == b[1], f"{cid}: diagonal segment {a} -> {b}"
            lo, hi = min(a[1], b[1]), max(a[1], b[1])
            # only boxes whose top lies above the segment's bottom can meet it; those are a prefix of by_top
            for z, bx in by_top[: bisect.bisect_left(tops, hi)]:
                if z not in ends and bx[1] + bx[3] > lo:
                    assert not crosses_interior(a, b, bx), f"{cid} passes through zone {z}"


# -- the example plant ----------------------------------------------------------------------------


def test_example_is_wellformed_and_shows_every_zone_and_conduit(example):
    plant, _, svg = example
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg" and root.get("viewBox", "").startswith("0 0 ")
    assert float(root.get("width")) > 0 and float(root.get("height")) > 0
    zones, conduits = zones_of(root), conduits_of(root)
    assert set(zones) == set(plant.zones)
    assert set(conduits) == set(plant.conduits)
    for zid, g in zones.items():
        assert g.get("id") == f"zone-{zid}"
        assert plant.zones[zid].name in g.find(f"{NS}title").text
    for cid, g in conduits.items():
        assert g.get("id") == f"conduit-{cid}"
        assert "SL-T {" in g.find(f"{NS}title").text and "SL-A {" in g.find(f"{NS}title").text
    assert {float(g.get("data-level")) for g in root.iter(f"{NS}g") if g.get("data-level")} == \
        {z.level for z in plant.zones.values()}


def test_nothing_external_and_nothing_unstable(example):
    plant, assessment, svg = example
    for banned in ("<image", "<script", "href=", "@import", "url("):
        assert banned not in svg
    assert zone_diagram(plant, assessment) == svg


def test_same_bytes_in_a_fresh_interpreter_with_another_hash_seed(example):
    _, _, svg = example
    code = ("import sys; from pathlib import Path; from zonewarden.model.load import load_plant; "
            "from zonewarden.model.tracking import load_tracking; from zonewarden.analysis.assess import assess; "
            "from zonewarden.render.diagram import zone_diagram; d = Path(sys.argv[1]); p = load_plant(d); "
            "sys.stdout.write(zone_diagram(p, assess(p, load_tracking(d / 'tracking.yaml')[0])))")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-c", code, str(example_dir())], capture_output=True, encoding="utf-8",
                         check=True, env=env).stdout
    assert out == svg


def test_every_conduit_countermeasure_is_drawn_on_its_conduit(example):
    plant, _, svg = example
    root = ET.fromstring(svg)
    drawn: dict[str, set[str]] = {}
    for g in root.iter(f"{NS}g"):
        if g.get("class") == "zw-conduit-label":
            drawn[g.get("data-conduit")] = {c.get("data-countermeasure") for c in g.iter(f"{NS}g")
                                            if c.get("data-countermeasure")}
    for cid, conduit in plant.conduits.items():
        placed = {k for k, cm in plant.countermeasures.items() if cm.at.conduit == cid}
        assert drawn[cid] == placed | set(conduit.countermeasures), cid
    kinds = {c.get("data-kind") for c in root.iter(f"{NS}g") if c.get("data-countermeasure")}
    assert {"filter", "oneway", "crypto"} <= kinds  # firewall, unidirectional gateway, encryption


def test_enterprise_on_top_field_at_the_bottom(example):
    _, _, svg = example
    root = ET.fromstring(svg)
    boxes = {z: box(g) for z, g in zones_of(root).items()}
    assert boxes["enterprise"][1] + boxes["enterprise"][3] < boxes["site-dmz"][1]
    assert boxes["site-dmz"][1] + boxes["site-dmz"][3] < boxes["supervisory"][1]
    assert boxes["supervisory"][1] + boxes["supervisory"][3] < boxes["cell-1"][1]
    bands = [(float(r.get("y")), float(g.get("data-level"))) for g in root.iter(f"{NS}g")
             if g.get("class") == "zw-band" for r in g.findall(f"{NS}rect")]
    assert [lv for _, lv in sorted(bands)] == [4.0, 3.5, 2.0, 1.0]


def test_boxes_apart_and_conduits_orthogonal_around_boxes(example):
    plant, _, svg = example
    check_geometry(plant, ET.fromstring(svg))


def test_conduit_labels_clear_of_one_another_and_of_boxes(example):
    _, _, svg = example
    root = ET.fromstring(svg)
    labels = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
              for g in root.iter(f"{NS}g") if g.get("class") == "zw-conduit-label" for r in g.findall(f"{NS}rect")]
    boxes = [box(g) for g in zones_of(root).values()]
    assert len(labels) == len(conduits_of(root))
    for i, a in enumerate(labels):
        for b in labels[i + 1:] + boxes:
            apart = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
            assert apart, f"label {a} overlaps {b}"


def test_colour_follows_open_gaps(example):
    _, assessment, svg = example
    zones = zones_of(ET.fromstring(svg))
    for z in assessment.zones:
        open_sev = {g.severity for g in z.gaps if g.status in ("open", "in-progress")}
        want = "red" if open_sev & {"high", "critical"} else "amber" if open_sev else "green"
        assert zones[z.id].get("data-status") == want, z.id
    cell2 = next(z for z in assessment.zones if z.id == "cell-2")
    assert any(g.severity == "critical" and g.status == "open" for g in cell2.gaps)
    rect = next(r for r in zones["cell-2"].iter(f"{NS}rect") if r.get("class") == "zw-box")
    assert rect.get("stroke") == RED


def test_sl_badges_mark_each_short_fr(example):
    _, assessment, svg = example
    zones = zones_of(ET.fromstring(svg))
    for z in assessment.zones:
        texts = {t.get("class"): t for t in zones[z.id].iter(f"{NS}text") if t.get("class")}
        assert "".join(texts["zw-sl-t"].itertext()) == f"SL-T {z.sl_target}"
        assert "".join(texts["zw-sl-a"].itertext()) == f"SL-A {z.sl_achieved}"
        red = [s.text for s in texts["zw-sl-a"].iter(f"{NS}tspan") if s.get("fill") == RED]
        assert len(red) == len(z.sl_achieved.shortfall(z.sl_target)), z.id


def test_untrusted_dashed_long_names_cut_and_assets_summarised(example):
    plant, _, svg = example
    zones = zones_of(ET.fromstring(svg))
    for zid, g in zones.items():
        dashed = box_rect(g).get("stroke-dasharray") is not None
        assert dashed == (plant.zones[zid].trust == "untrusted"), zid
    cell1 = zones["cell-1"]
    shown = [t.text for t in cell1.iter(f"{NS}text")]
    assert plant.zones["cell-1"].name not in shown and any(s and s.endswith("…") for s in shown)
    assert plant.zones["cell-1"].name in cell1.find(f"{NS}title").text
    assets = [a for a in plant.assets.values() if a.zone == "cell-1"]
    assert len([g for g in cell1.iter(f"{NS}g") if g.get("data-asset")]) == 8
    assert any(s and s.startswith(f"+ {len(assets) - 8} more (") for s in shown)


def box_rect(group: ET.Element) -> ET.Element:
    return next(r for r in group.iter(f"{NS}rect") if r.get("class") == "zw-box")


# -- tiny plants ----------------------------------------------------------------------------------

TWO_ZONES = """\
zones:
  lab: {name: "R&D <lab> & co", level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
  ops: {name: Ops, level: 3, kind: operations, trust: untrusted, networks: [10.0.1.0/24], sl_target: 1}
conduits:
  ops-lab: {zones: [ops, lab], countermeasures: [fw], flows: [{from: ops, to: lab, port: 502}]}
assets:
  p: {zone: lab, type: embedded_device, addresses: [10.0.0.1], capability: {sl: 1}}
countermeasures:
  site: {kind: other, at: {zone: lab}, meets: [SR 1.6, SR 1.13, SR 2.3, SR 5.2, SR 5.3, SR 5.4, SR 7.5]}
  fw: {kind: firewall, at: {conduit: ops-lab}, meets: [SR 5.1]}
"""


def test_zone_without_gaps_is_green_and_text_is_escaped(plant_file):
    # lab's one asset has SL-C 1 everywhere and `site` meets the level-1 system requirements: SL-A 1 = SL-T
    plant = load_plant(plant_file(TWO_ZONES))
    assessment = assess(plant)
    assert next(z for z in assessment.zones if z.id == "lab").gaps == []
    svg = zone_diagram(plant, assessment)
    zones = zones_of(ET.fromstring(svg))
    assert zones["lab"].get("data-status") == "green" and box_rect(zones["lab"]).get("stroke") == GREEN
    assert "R&amp;D &lt;lab&gt; &amp; co" in svg
    assert "R&D <lab> & co" in [t.text for t in zones["lab"].iter(f"{NS}text")]
    label = next(g for g in ET.fromstring(svg).iter(f"{NS}g") if g.get("class") == "zw-conduit-label")
    assert "port 502" in [t.text for t in label.iter(f"{NS}text")]


# -- the 500-zone synthetic plant ---------------------------------------------------------------------


def test_synthetic_plant_in_compact_tiles_stays_landscape(synthetic):
    plant, svg, seconds = synthetic
    root = ET.fromstring(svg)
    assert root.get("data-mode") == "compact"
    assert len(zones_of(root)) == 500 and set(zones_of(root)) == set(plant.zones)
    assert len(conduits_of(root)) == 2000
    ratio = float(root.get("width")) / float(root.get("height"))
    assert 0.5 <= ratio <= 4, ratio
    assert seconds < 10, f"{seconds:.1f} s"  # about 0.6 s on a laptop; a guard against a quadratic step
    check_geometry(plant, root)


# -- zones outside the system under consideration -------------------------------------------------------


def test_external_zones_drawn_as_entry_points_without_sl(example, plant_file):
    _, assessment, svg = example
    root = ET.fromstring(svg)
    zones = zones_of(root)
    ent = zones["enterprise"]
    assert assessment.external == ["enterprise"] and ent.get("data-status") == "external"
    assert box_rect(ent).get("stroke") == "#546e7a"  # grey, not coloured by gaps it cannot have
    texts = [t.text for t in ent.iter(f"{NS}text")]
    assert "outside the SuC" in texts and "entry point, no SL" in texts
    assert not [t for t in ent.iter(f"{NS}text") if t.get("class") in ("zw-sl-t", "zw-sl-a")]
    assert "outside the system under consideration" in ent.find(f"{NS}title").text
    assert "SL-T" not in ent.find(f"{NS}title").text
    legend = next(g for g in root.iter(f"{NS}g") if g.get("class") == "zw-legend")
    assert "zone outside the SuC: entry point, no SL or gaps" in [t.text for t in legend.iter(f"{NS}text")]
    # a conduit between two zones outside the SuC is drawn, grey, and says why it has no SL
    small = load_plant(plant_file(SMALL, header=False))
    small_svg = ET.fromstring(zone_diagram(small, assess(small)))
    conduits = conduits_of(small_svg)
    assert conduits["corp-partner"].get("data-status") == "external"
    assert "between zones outside the SuC" in conduits["corp-partner"].find(f"{NS}title").text
    assert conduits["corp-scada"].get("data-status") in ("red", "amber")
    partner = zones_of(small_svg)["partner"]  # kind external, not untrusted: grey but not dashed
    assert partner.get("data-status") == "external" and box_rect(partner).get("stroke-dasharray") is None
    check_geometry(small, small_svg)


def test_compact_tiles_say_outside_instead_of_sl(plant_file):
    small = load_plant(plant_file(SMALL, header=False))
    root = ET.fromstring(zone_diagram(small, assess(small), compact_over=1))
    assert root.get("data-mode") == "compact"
    corp = zones_of(root)["corp"]
    assert [t.text for t in corp.iter(f"{NS}text")][-1] == "outside the SuC"
    scada = zones_of(root)["scada"]
    assert "".join(list(scada.iter(f"{NS}text"))[-1].itertext()).endswith("/2222322")
