"""Reading plant files: positions on every problem, includes merged by id, unreadable input refused."""

from __future__ import annotations

import pytest

from zonewarden.analysis.checks import check_raw
from zonewarden.model.diagnostics import PlantInvalid, PlantReadError
from zonewarden.model.load import load_plant, read_raw
from zonewarden.model.sl import SLVector

ZONES = """\
zones:
  z1: {name: Z1, level: 1, kind: control, networks: [10.0.1.0/24], sl_target: {IAC: 2, UC: 2, SI: 3, DC: 1, RDF: 3,
       TRE: 1, RA: 2}}
  z2: {name: Z2, level: 3.5, kind: dmz, sl_target: auto}
"""


def test_valid_plant_loads_with_typed_values(plant_file):
    plant = load_plant(plant_file(ZONES + "assets:\n  a: {zone: z1, type: embedded_device, addresses: [10.0.1.5]}\n"))
    assert plant.zones["z1"].sl_target == SLVector([2, 2, 3, 1, 3, 1, 2])
    assert plant.zones["z2"].sl_target == "auto"
    assert plant.zones["z2"].level == 3.5
    assert str(plant.assets["a"].addresses[0]) == "10.0.1.5"


def test_yaml_syntax_error_names_file_line_and_column(plant_file):
    path = plant_file("zones:\n  z1: {name: Z1, level: 1\n  z2: []\n")
    with pytest.raises(PlantReadError) as e:
        read_raw(path)
    assert e.value.location is not None and e.value.location.file.endswith("plant.yaml")
    assert e.value.location.line >= 8
    assert "YAML syntax error" in str(e.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "file is empty"), ("- a\n- b\n", "top level of a plant file must be a mapping"),
     ("a: !!binary aGVsbG8=\n", "unsupported YAML tag"), ("? [a, b]\n: 1\n", "mapping key must be a plain value")],
)
def test_unreadable_shapes_are_read_errors(plant_file, text, message):
    with pytest.raises(PlantReadError, match=message):
        read_raw(plant_file(text, header=False))


def test_missing_file_and_missing_include(tmp_path, plant_file):
    with pytest.raises(PlantReadError, match="no such file"):
        read_raw(tmp_path / "nope.yaml")
    path = plant_file("include: [parts/missing.yaml]\n")
    with pytest.raises(PlantReadError, match=r"included file .*missing\.yaml: no such file") as e:
        read_raw(path)
    assert e.value.location and e.value.location.line == 7


def test_include_merges_sections_by_id_and_keeps_positions(plant_file):
    root = plant_file(ZONES + "include: [more/]\n")
    plant_file("assets:\n  a: {zone: z1, type: embedded_device, addresses: [10.0.1.5]}\n", "more/a.yaml", header=False)
    plant_file("assets:\n  b: {zone: z1, type: embedded_device, addresses: [10.9.9.9]}\n"
               "risk:\n  tolerable: 6\n  scenarios:\n"
               "    - {id: s1, zone: z1, likelihood: 2, consequence: {safety: 2}}\n",
               "more/b.yaml", header=False)
    raw = read_raw(root)
    result = check_raw(raw)
    assert result.plant is not None and set(result.plant.assets) == {"a", "b"}
    [f] = [f for f in result.findings if f.rule == "address-outside-zone"]
    assert f.location is not None and f.location.file.endswith("more/b.yaml")
    assert (f.location.line, f.location.column) == (2, 52)
    assert len(raw.sources.files) == 3


def test_include_cycle_is_refused(plant_file):
    root = plant_file("include: [b.yaml]\n")
    plant_file("include: [plant.yaml]\n", "b.yaml", header=False)
    with pytest.raises(PlantReadError, match="included twice"):
        read_raw(root)


def test_duplicate_ids_across_files_point_at_both(plant_file):
    root = plant_file(ZONES + "include: [x.yaml]\nassets:\n  a: {zone: z1, type: embedded_device}\n")
    plant_file("assets:\n  a: {zone: z2, type: embedded_device}\n", "x.yaml", header=False)
    result = check_raw(read_raw(root))
    [f] = [f for f in result.findings if f.rule == "asset-in-two-zones"]
    assert f.location and f.location.file.endswith("x.yaml") and f.location.line == 2
    assert f.related and f.related[0].file.endswith("plant.yaml")


def test_section_defined_in_two_files_is_a_duplicate(plant_file):
    root = plant_file("include: [x.yaml]\n")
    plant_file("plant: {name: Again}\n", "x.yaml", header=False)
    with pytest.raises(PlantInvalid) as e:
        load_plant(root)
    assert [p.rule for p in e.value.problems] == ["duplicate-id"]
    assert "section 'plant'" in e.value.problems[0].message


def test_folder_is_read_as_one_plant(tmp_path, plant_file):
    plant_file(ZONES, "site/a.yaml")
    plant_file("assets:\n  a: {zone: z1, type: embedded_device, addresses: [10.0.1.5]}\n", "site/b.yaml",
               header=False)
    assert set(load_plant(tmp_path / "site").assets) == {"a"}


def test_yaml_merge_keys_are_honoured(plant_file):
    plant = load_plant(plant_file(ZONES + "assets:\n  base: &plc {zone: z1, type: embedded_device, function: plc}\n"
                                  "  p2: {<<: *plc, addresses: [10.0.1.7]}\n"))
    assert plant.assets["p2"].function == "plc"
    assert plant.assets["p2"].zone == "z1"


def test_boolean_is_not_a_security_level(plant_file):
    with pytest.raises(PlantInvalid) as e:
        load_plant(plant_file("zones:\n  z: {name: Z, level: 1, kind: control, sl_target: true}\n"))
    assert e.value.problems[0].rule == "sl-range"


def test_merge_keys_can_be_overridden_locally(plant_file):
    plant = load_plant(plant_file(ZONES + "assets:\n  base: &plc {zone: z1, type: embedded_device, "
                                  "addresses: [10.0.1.6]}\n  p2: {<<: *plc, addresses: [10.0.1.7]}\n"))
    assert [str(a) for a in plant.assets["p2"].addresses] == ["10.0.1.7"]


def test_a_merge_key_on_a_scalar_is_a_located_read_error(plant_file):
    with pytest.raises(PlantReadError, match="merge key") as e:
        read_raw(plant_file("zones:\n  z: {<<: 5, name: Z}\n"))
    assert e.value.location and e.value.location.line == 8


def test_alias_bomb_is_refused_quickly(plant_file):
    lines = ["a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(PlantReadError, match="expands to more than"):
        read_raw(plant_file("\n".join(lines) + "\n", header=False))


@pytest.mark.parametrize("depth", [150, 3000])
def test_deep_nesting_is_a_located_read_error(plant_file, depth):
    """Past our own limit (100) or past the YAML library's own (whatever its wording): a located read error."""
    with pytest.raises(PlantReadError) as e:
        read_raw(plant_file("x: " + "[" * depth + "]" * depth + "\n", header=False))
    assert e.value.location is not None and e.value.location.line == 1 and e.value.location.column > 100


def test_nesting_past_our_limit_says_so(plant_file):
    with pytest.raises(PlantReadError, match="nests deeper than 100 levels"):
        read_raw(plant_file("x: " + "[" * 150 + "]" * 150 + "\n", header=False))


def test_tags_on_collections_are_refused(plant_file):
    with pytest.raises(PlantReadError, match="unsupported YAML tag"):
        read_raw(plant_file("zones: !!python/object:os.system {a: 1}\n"))


def test_invalid_date_is_a_finding_not_a_crash(plant_file):
    with pytest.raises(PlantInvalid) as e:
        load_plant(plant_file(ZONES + "assets:\n  a: {zone: z1, type: embedded_device}\ncountermeasures:\n"
                              "  j: {kind: jump_host, at: {zone: z2}}\ncompensations:\n"
                              "  - {asset: a, requirement: CR 1.1, by: [j], justification: x,\n"
                              "     approved_on: 2024-13-01}\n"))
    [p] = e.value.problems
    assert p.rule == "invalid-value" and p.path == ("compensations", 0, "approved_on")


@pytest.mark.parametrize("item", ['""', "."])
def test_include_of_nothing_or_of_its_own_folder_is_refused(plant_file, item):
    with pytest.raises(PlantReadError, match="include"):
        read_raw(plant_file(f"include: [{item}]\n"))


def test_folder_skips_hidden_files_and_reads_upper_case_suffixes(tmp_path, plant_file):
    plant_file(ZONES, "site/a.yaml")
    (tmp_path / "site" / "._a.yaml").write_bytes(b"\x00\x05\x16\x07")
    plant_file("assets:\n  a: {zone: z1, type: embedded_device, addresses: [10.0.1.5]}\n", "site/B.YAML",
               header=False)
    assert set(load_plant(tmp_path / "site").assets) == {"a"}


def test_strict_booleans(plant_file):
    with pytest.raises(PlantInvalid) as e:
        load_plant(plant_file(ZONES + "assets:\n  a: {zone: z1, type: embedded_device, legacy: 'yes'}\n"))
    assert e.value.problems[0].path == ("assets", "a", "legacy")


def test_numbers_where_text_is_expected_say_to_quote(plant_file):
    with pytest.raises(PlantInvalid) as e:
        load_plant(plant_file("zones:\n  1: {name: One, level: 1, kind: control}\n"
                              "assets:\n  a: {zone: '1', type: embedded_device, firmware: 2.10}\n"))
    messages = [p.message for p in e.value.problems]
    assert any(m.startswith("zones: the id 1 is read by YAML as a number; quote it") for m in messages)
    assert any("got the number 2.1; quote it" in m for m in messages)
