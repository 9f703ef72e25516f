"""Procurement packs: the 4-2 set for a zone's SL-T and a component type, and the supplier workbook round trip."""

from __future__ import annotations

import json

import yaml
from openpyxl import load_workbook

from zonewarden.analysis.assess import assess
from zonewarden.analysis.procurement import maturity_for, procurement
from zonewarden.model.load import load_plant
from zonewarden.standard.catalog import load_catalog

from ..cli.test_cli import zw

TINY = """\
    zones:
      z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: [2, 1, 1, 1, 1, 1, 1]}
    assets:
      plc:   # the line's PLC
        zone: z
        type: embedded_device
        addresses: [10.0.0.1]
        capability: {sl: 1, meets: [CR 7.1]}   # from the datasheet
    """


def test_the_set_is_every_item_of_the_type_at_or_below_sl_t(plant_file):
    plant = load_plant(plant_file(TINY))
    catalog = load_catalog()
    pack = procurement(assess(plant, catalog=catalog), catalog, "z", "embedded_device")
    ids = [i.id for i in pack.items]
    # IAC at SL 2, every other FR at SL 1: by hand from the catalog
    expected = [r.id for r in catalog.select(part="4-2", component_type="embedded_device")
                if r.level is not None and r.level <= (2 if r.fr == "IAC" else 1)]
    assert ids == expected
    assert "CR 1.1 RE 1" in ids and "CR 2.1 RE 1" not in ids and "EDR 2.13" not in ids  # UC stays at 1
    assert not [i for i in ids if i.startswith(("HDR", "NDR", "SAR"))]
    assert pack.maturity == 2 == maturity_for(pack.sl_target)
    assert len(pack.practices) == len(catalog.select(part="4-1"))
    assert any("ISASecure CSA" in c and "SL 2" in c for c in pack.certificates)


def test_higher_targets_ask_more_and_a_higher_maturity(plant_file):
    plant = load_plant(plant_file(TINY.replace("[2, 1, 1, 1, 1, 1, 1]", "3")))
    catalog = load_catalog()
    pack = procurement(assess(plant, catalog=catalog), catalog, "z", "embedded_device")
    assert pack.maturity == 3
    assert {"CR 1.1 RE 2", "EDR 2.13", "EDR 3.10 RE 1"} <= {i.id for i in pack.items}


def test_procure_formats_on_the_example(tmp_path):
    from ..conftest import EXAMPLE

    res = zw("procure", str(EXAMPLE), "--zone", "cell-1", "--type", "EDR", "-o", str(tmp_path / "p.json"))
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["zone"] == "cell-1" and doc["component_type"] == "embedded_device" and len(doc["requirements"]) > 40
    md = zw("procure", str(EXAMPLE), "--zone", "cell-1", "--type", "embedded_device")
    assert md.returncode == 0 and "| CR 1.1 | Human user identification and authentication | IAC | 1 |" in md.stdout
    bad = zw("procure", str(EXAMPLE), "--zone", "nowhere", "--type", "EDR")
    assert bad.returncode == 2 and "no such zone" in bad.stderr


def test_supplier_workbook_round_trip(plant_file, tmp_path):
    """Generate the workbook, answer it as a supplier would (with mistakes), read it back into the asset."""
    path = plant_file(TINY)
    pack = tmp_path / "pack.xlsx"
    assert zw("procure", str(path), "--zone", "z", "--type", "embedded_device", "-o", str(pack)).returncode == 0
    wb = load_workbook(pack)
    ws = wb["requirements"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["id", "title"] and "response" in header and "evidence" in header
    assert ws.data_validations.dataValidation[0].formula1 == '"meets,partly,no"'
    resp, ev = header.index("response") + 1, header.index("evidence") + 1
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    answers = {}
    for r, rid in enumerate(ids, 2):
        answer = ["meets", "partly", "no"][r % 3]
        ws.cell(r, resp).value = answer.upper() if r == 2 else answer  # case does not matter
        ws.cell(r, ev).value = f"test report TR-{r}"
        answers[rid] = answer
    ws.cell(3, resp).value = "yes"  # not an answer
    ws.cell(4, 1).value = "CR 42.1"  # not a requirement
    ws.cell(5, resp).value = None  # unanswered
    ws.append(["HDR 2.4"] + [None] * (resp - 2) + ["meets"])  # another component type's variant
    wb.save(tmp_path / "filled.xlsx")
    skipped = {ids[1], ids[2], ids[3]}
    # CR 7.1 was listed before; the supplier now answers for it, which decides whether it stays
    res = zw("procure", str(path), "--import", str(tmp_path / "filled.xlsx"), "--asset", "plc")
    assert res.returncode == 1, res.stderr  # some rows were skipped: reported, and the status says so
    assert f"filled.xlsx: requirements!H3: {ids[1]}: 'yes' is not one of meets, partly, no" in res.stderr
    assert "requirements!A4: 'CR 42.1' is not a 62443-4-2 requirement id" in res.stderr
    assert f"requirements!H5: {ids[3]}: no response" in res.stderr
    assert "HDR 2.4 does not apply to a embedded_device" in res.stderr
    text = path.read_text()
    assert "# the line's PLC" in text and "# from the datasheet" in text  # comments survive the edit
    meets = yaml.safe_load(text)["assets"]["plc"]["capability"]["meets"]
    want = [r for r, a in answers.items() if a == "meets" and r not in skipped]
    assert sorted(meets) == sorted(set(want) | ({"CR 7.1"} if answers.get("CR 7.1", "meets") == "meets" else set()))
    assert zw("check", str(path)).returncode == 0  # the plant still loads and checks clean
    again = zw("procure", str(path), "--import", str(tmp_path / "filled.xlsx"), "--asset", "plc")
    assert "0 added, 0 removed" in again.stdout  # reading the same answers twice changes nothing


def test_an_unreadable_workbook_is_one_clear_error(plant_file, tmp_path):
    path = plant_file(TINY)
    bogus = tmp_path / "x.xlsx"
    bogus.write_text("not a workbook")
    res = zw("procure", str(path), "--import", str(bogus), "--asset", "plc")
    assert res.returncode == 2 and "not a readable .xlsx workbook" in res.stderr and "Traceback" not in res.stderr
    assert yaml.safe_load(path.read_text())["assets"]["plc"]["capability"]["meets"] == ["CR 7.1"]


def test_the_pack_names_the_planned_assets_of_its_zone_and_type(plant_file, tmp_path):
    path = plant_file(TINY.rstrip(" ") + """\
      plc-2: {zone: z, type: embedded_device, lifecycle: planned}
      plc-3: {zone: z, type: embedded_device, lifecycle: planned}
      hmi-2: {zone: z, type: host_device, lifecycle: planned}
      plc-9: {zone: z, type: embedded_device, lifecycle: commissioning, addresses: [10.0.0.9]}
    """)
    plant = load_plant(path)
    catalog = load_catalog()
    a = assess(plant, catalog=catalog)
    assert procurement(a, catalog, "z", "embedded_device").for_assets == ["plc-2", "plc-3"]
    assert procurement(a, catalog, "z", "host_device").for_assets == ["hmi-2"]
    assert procurement(a, catalog, "z", "network_device").for_assets == []
    assert a.zones[0].assets == ["plc", "plc-9"]  # planned ones count for no SL-A
    assert zw("procure", str(path), "--zone", "z", "--type", "EDR", "-o", str(tmp_path / "p.json")).returncode == 0
    assert json.loads((tmp_path / "p.json").read_text())["for_assets"] == ["plc-2", "plc-3"]
    md = zw("procure", str(path), "--zone", "z", "--type", "embedded_device").stdout
    assert "\nFor the planned assets of this zone and type: `plc-2`, `plc-3`.\n" in md
    assert zw("procure", str(path), "--zone", "z", "--type", "HDR", "-o", str(tmp_path / "p.xlsx")).returncode == 0
    about = {r[0]: r[1] for r in load_workbook(tmp_path / "p.xlsx")["about"].iter_rows(values_only=True)}
    assert about["for planned assets"] == "hmi-2"
