"""The command line as a user meets it: exit codes, formats, and no traceback on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from zonewarden.cli import app

from ..conftest import EXAMPLE, SHARED

runner = CliRunner()


def zw(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess (what a user's shell does)."""
    return subprocess.run([sys.executable, "-m", "zonewarden.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "200"})


def test_example_plant_checks_clean():
    # two deliberate partitioning warnings (62443-3-2 ZCR 3): the DMZ keeps a low-criticality replica beside the
    # jump host, and the SIS engineering laptop is plugged into the SIS zone only for SIS work
    res = zw("check", str(EXAMPLE), "--format", "json")
    assert res.returncode == 0, res.stdout + res.stderr
    findings = json.loads(res.stdout)["findings"]
    assert sorted((f["rule"], f["path"][1]) for f in findings) == [
        ("zone-mixes-criticality", "site-dmz"), ("zone-mixes-temporary", "sis")]


def test_json_and_sarif_outputs(plant_file):
    path = plant_file("zones:\n  z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24]}\n"
                      "assets:\n  a: {zone: z, type: embedded_device, addresses: [10.1.0.1]}\n")
    res = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert res.exit_code == 1
    doc = json.loads(res.output)
    assert doc["summary"] == {"error": 1, "warning": 0}
    [f] = doc["findings"]
    text = path.read_text()
    line = text[: text.index("10.1.0.1")].count("\n") + 1
    column = text.index("10.1.0.1") - text.rfind("\n", 0, text.index("10.1.0.1"))
    assert (f["rule"], f["line"], f["column"], f["requirement"]) == ("address-outside-zone", line, column, "SR 5.1")
    assert f["id"] == "check:address-outside-zone:assets/a/addresses/0"

    res = runner.invoke(app, ["check", str(path), "--format", "sarif"])
    sarif = json.loads(res.output)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    [result] = run["results"]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "address-outside-zone"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (line, column)
    assert result["level"] == "error"


def test_output_file_is_written(tmp_path, plant_file):
    path = plant_file("zones:\n  z: {name: Z, level: 1, kind: control}\n")
    target = tmp_path / "out" / "findings.sarif"
    res = runner.invoke(app, ["check", str(path), "--format", "sarif", "-o", str(target)])
    assert res.exit_code == 0
    assert json.loads(target.read_text())["runs"][0]["results"][0]["ruleId"] == "zone-empty"


@pytest.mark.parametrize(
    ("content", "expect"),
    [(None, "no such file"), ("zones: [\n", "YAML syntax error"), ("a: \xff\n", "not UTF-8")],
)
def test_unreadable_input_exits_2_with_one_message(tmp_path, content, expect):
    path = tmp_path / "p.yaml"
    if content is not None:
        path.write_bytes(content.encode("latin-1"))
    res = zw("check", str(path))
    assert res.returncode == 2
    assert expect in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert res.stderr.startswith("error:") and res.stderr.count("\nerror") == 0


def test_bad_option_values_exit_2():
    assert zw("catalog", "--part", "9-9").returncode == 2
    assert zw("catalog", "--sl", "7").returncode == 2
    assert zw("catalog", "--fr", "XYZ").returncode == 2
    assert zw("catalog", "--type", "toaster").returncode == 2
    assert zw("check", "x", "--format", "xml").returncode == 2


def test_schema_is_valid_and_accepts_the_example():
    res = runner.invoke(app, ["schema"])
    schema = json.loads(res.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for f in sorted(EXAMPLE.rglob("*.yaml")):
        # JSON round trip: YAML 1.1 reads 2026-01-31 as a date; editors (YAML 1.2) see a string
        doc = json.loads(json.dumps(yaml.load(f.read_text(), Loader=yaml.CSafeLoader), default=str))
        if "zonewarden" in doc:
            errors = list(validator.iter_errors(doc))
            assert not errors, [e.message for e in errors[:3]]


def test_init_copies_the_example_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "myplant"
    res = runner.invoke(app, ["init", str(target)])
    assert res.exit_code == 0, res.output
    assert (target / "plant.yaml").exists()
    assert runner.invoke(app, ["check", str(target)]).exit_code == 0
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_init_blank_writes_a_skeleton_that_checks_and_assesses(tmp_path):
    target = tmp_path / "new"
    res = runner.invoke(app, ["init", str(target), "--blank"])
    assert res.exit_code == 0 and "blank skeleton" in res.output, res.output
    assert sorted(p.name for p in target.iterdir()) == ["plant.yaml"]
    text = (target / "plant.yaml").read_text()
    assert "# " in text and "docs/model.md" in text  # commented, and says where every field is explained
    checked = runner.invoke(app, ["check", str(target), "--format", "json"])
    assert checked.exit_code == 0 and json.loads(checked.output)["summary"] == {"error": 0, "warning": 0}
    doc = json.loads(runner.invoke(app, ["assess", str(target), "--format", "json"]).output)
    assert [z["id"] for z in doc["zones"]] == ["supervisory", "control"] and len(doc["conduits"]) == 1
    assert runner.invoke(app, ["init", str(target), "--blank"]).exit_code == 2  # never over an existing plant


def test_catalog_counts_by_level():
    counts = {}
    for sl in (1, 2, 3, 4):
        res = runner.invoke(app, ["catalog", "--part", "3-3", "--sl", str(sl), "--format", "json"])
        counts[sl] = len(json.loads(res.output))
    assert counts == {1: 37, 2: 60, 3: 91, 4: 100}
    items = json.loads(runner.invoke(app, ["catalog", "--part", "3-3", "--format", "json"]).output)
    assert len(items) == 100
    assert {"id", "part", "fr", "title", "level", "types"} <= set(items[0])


def test_catalog_filters_by_fr_and_type():
    items = json.loads(runner.invoke(app, ["catalog", "--part", "4-2", "--sl", "1", "--type", "EDR", "--fr", "FR 3",
                                           "--format", "json"]).output)
    ids = {i["id"] for i in items}
    assert {"CR 3.1", "EDR 3.2", "EDR 3.10", "EDR 3.14"} <= ids
    assert not {"HDR 3.2", "CR 3.8", "CR 3.1 RE 1"} & ids
    assert all(i["fr"] == "SI" and "embedded_device" in i["types"] for i in items)


def test_catalog_edition_switch_moves_sr_3_4():
    res = runner.invoke(app, ["catalog", "--part", "3-3", "--sl", "1", "--edition", "2013", "--format", "json"])
    ids = {i["id"] for i in json.loads(res.output)}
    assert "SR 3.4" in ids and len(ids) == 38
    assert runner.invoke(app, ["catalog", "--edition", "1999"]).exit_code == 2


def test_table_output_on_a_terminal_width():
    res = zw("catalog", "--part", "3-2")
    assert res.returncode == 0
    assert "ZCR 5.6" in res.stdout and "32 items" in res.stdout


def test_unwritable_output_and_init_target_exit_2(tmp_path, plant_file):
    path = plant_file("zones:\n  z: {name: Z, level: 1, kind: control}\n")
    (tmp_path / "adir").mkdir()
    res = zw("check", str(path), "--format", "sarif", "-o", str(tmp_path / "adir"))
    assert res.returncode == 2 and "cannot write" in res.stderr and "Traceback" not in res.stderr
    (tmp_path / "afile").write_text("x")
    res = zw("init", str(tmp_path / "afile" / "sub"))
    assert res.returncode == 2 and "cannot create" in res.stderr
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert zw("init", str(tmp_path / "dangling")).returncode == 2


def test_messages_name_files_outside_the_working_folder_absolutely(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("zones: [\n")
    res = zw("check", str(path), cwd=Path(__file__).parent)
    assert f"{path}:2:1" in res.stderr


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_unreadable_plant_still_gives_a_document_and_exit_2(tmp_path, fmt):
    path = tmp_path / "p.yaml"
    path.write_text("zones: [\n")
    out = tmp_path / f"out.{fmt}"
    res = zw("check", str(path), "--format", fmt, "-o", str(out))
    assert res.returncode == 2
    doc = json.loads(out.read_text())
    if fmt == "sarif":
        [r] = doc["runs"][0]["results"]
        assert r["ruleId"] == "unreadable" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file://")
    else:
        assert doc["findings"][0]["rule"] == "unreadable" and doc["findings"][0]["line"] == 2


def test_flows_json_lines_contract_and_damaged_capture(tmp_path):
    from ..traffic.pcapgen import eth, ipv4, pcap, tcp

    path = pcap(tmp_path / "c.pcap", [(1.0, eth(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 502, 0x02)))),
                                      (2.0, eth(ipv4("10.0.0.2", "10.0.0.1", 6, tcp(502, 40000, 0x12))))])
    res = zw("flows", str(path), "--format", "json")
    assert res.returncode == 0, res.stderr
    [row] = [json.loads(line) for line in res.stdout.splitlines()]
    contract = {"first_seen", "last_seen", "src", "dst", "sport", "dport", "l4", "app", "ops", "packets", "bytes"}
    assert contract <= set(row)
    assert (row["src"], row["dport"], row["l4"], row["app"], row["packets"]) == ("10.0.0.1", 502, "tcp", "modbus", 2)
    path.write_bytes(path.read_bytes()[:-5])
    res = zw("flows", str(path), "--format", "json")
    assert res.returncode == 2 and "truncated record" in res.stderr and "Traceback" not in res.stderr
    assert json.loads(res.stdout)["packets"] == 1


def test_flows_reads_folders_and_refuses_missing_input(tmp_path):
    from ..traffic.pcapgen import eth, ipv4, pcap, udp

    (tmp_path / "caps" / "sub").mkdir(parents=True)
    for i in range(2):
        pcap(tmp_path / "caps" / "sub" / f"{i}.pcap", [(1.0, eth(ipv4("10.0.0.1", f"10.0.0.{i + 2}", 17, udp(1, 2))))])
    res = zw("flows", str(tmp_path / "caps"), "--format", "json")
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 2
    res = zw("flows", str(tmp_path / "nope.pcap"))
    assert res.returncode == 2 and "no such file" in res.stderr and res.stdout == ""
    (tmp_path / "empty").mkdir()
    assert zw("flows", str(tmp_path / "empty")).returncode == 2


def test_flows_saves_parquet_and_csv_that_read_back_the_same(tmp_path):
    capture = SHARED / "data" / "pcaps" / "ModbusTCP"
    direct = zw("flows", str(capture), "--format", "json")
    assert direct.returncode == 0, direct.stderr
    res = zw("flows", str(capture), "--format", "parquet")
    assert res.returncode == 2 and "-o FILE.parquet" in res.stderr
    for fmt, name in (("parquet", "f.parquet"), ("csv", "f.csv")):
        res = zw("flows", str(capture), "--format", fmt, "-o", str(tmp_path / name))
        assert res.returncode == 0 and "wrote" in res.stderr, res.stderr
        again = zw("flows", str(tmp_path / name), "--format", "json")
        assert again.returncode == 0 and again.stdout == direct.stdout
    (tmp_path / "junk.bin").write_bytes(b"\x00" * 64)
    res = zw("flows", str(tmp_path / "junk.bin"))
    assert res.returncode == 2 and "junk.bin: not a capture (pcap, pcapng), Zeek log" in res.stderr


def test_traffic_gate_honours_the_tracking_file(tmp_path):
    import shutil

    plant = tmp_path / "plant"
    shutil.copytree(EXAMPLE, plant)
    capture = str(plant / "traffic.pcap")
    res = zw("traffic", str(plant), capture, "--format", "json", "--fail-on", "critical")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert doc["summary"]["op_not_allowed"] == 2 and doc["flows"] == 72
    stop = "traffic:op_not_allowed:scada-srv-a>plc-capper:s7comm/102:plc_stop"
    with open(plant / "tracking.yaml", "a") as fh:
        fh.write(f"  - id: '{stop}'\n    status: accepted\n    justification: line trial, PLC stop from SCADA\n")
    res = zw("traffic", str(plant), capture, "--format", "json", "--fail-on", "critical")
    assert res.returncode == 0, res.stderr
    [v] = [v for v in json.loads(res.stdout)["verdicts"] if v["id"] == stop]
    assert v["status"] == "accepted" and v["tracking"]["justification"].startswith("line trial")
    res = zw("traffic", str(plant), capture, "--format", "sarif", "--kind", "no_conduit")
    [r] = json.loads(res.stdout)["runs"][0]["results"]
    region = r["locations"][0]["physicalLocation"]["region"]
    lines = (plant / "plant.yaml").read_text().splitlines()
    assert r["ruleId"] == "no_conduit" and lines[region["startLine"] - 2] == "  agv:"  # the source zone's entry
    res = zw("traffic", str(plant), capture, "--kind", "nonsense")
    assert res.returncode == 2 and "--kind 'nonsense': expected one of" in res.stderr


def test_demo_runs_on_the_bundled_example(tmp_path):
    res = zw("demo", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Where to act first" in res.stdout and "plc_stop" in res.stdout and "nanobind" not in res.stderr
    # ranked by residual risk, not by gap count (cell-2 has the most open gaps)
    first = res.stdout.split("Where to act first", 1)[1].split("\n1. ", 1)[1]
    assert first.startswith("Zone supervisory") and "keeps residual risk 15 (high" in " ".join(first.split())
    written = sorted(p.name for p in (tmp_path / "zonewarden-demo").iterdir())
    assert written == ["crs.html", "pack.xlsx", "report.html", "report.xlsx"]
    assert 'id="reg-traffic"' in (tmp_path / "zonewarden-demo" / "report.html").read_text()


def test_discover_drafts_a_plant_and_patches_an_existing_one(tmp_path):
    import shutil

    capture = str(EXAMPLE / "traffic.pcap")
    res = zw("discover", capture, "-o", str(tmp_path / "draft.yaml"))
    assert res.returncode == 0, res.stderr
    assert zw("check", str(tmp_path / "draft.yaml")).returncode == 0
    plant = tmp_path / "plant"
    shutil.copytree(EXAMPLE, plant)
    res = zw("discover", str(plant / "traffic.pcap"), "--into", str(plant), "-o", str(tmp_path / "into.patch"))
    assert res.returncode == 0, res.stderr
    patch = (tmp_path / "into.patch").read_text()
    assert "+      - {from: hmi-op-01, to: plc-filler" in patch and "+++ b/discovered.yaml" in patch
    applied = subprocess.run(["git", "apply", str(tmp_path / "into.patch")], cwd=plant, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    assert zw("check", str(plant)).returncode == 0
    doc = json.loads(zw("traffic", str(plant), str(plant / "traffic.pcap"), "--format", "json").stdout)
    left = {k: n for k, n in doc["summary"].items() if n}
    assert left == {"op_not_allowed": 2, "cleartext_remote_access": 2, "unused_rule": 1}  # decisions, not discoveries
    again = zw("discover", str(plant / "traffic.pcap"), "--into", str(plant))
    assert again.returncode == 0 and again.stdout == "" and "nothing to add" in again.stderr


INLINE_PLANT = """zonewarden: 1
plant: {name: T}
zones:
  a: {name: A, level: 2, kind: supervisory, networks: [10.2.0.0/24]}
  b: {name: B, level: 1, kind: control, networks: [10.1.0.0/24]}
  c: {name: C, level: 1, kind: control, networks: [10.3.0.0/24]}
assets:
  scada: {zone: a, type: host_device, addresses: [10.2.0.5]}
  plc: {zone: b, type: embedded_device, addresses: [10.1.0.10]}
  plc3: {zone: c, type: embedded_device, addresses: [10.3.0.10]}
conduits:
  ac: {zones: [a, c], flows: [{from: scada, to: plc3, protocol: modbus, port: 502}]}
  ab:
    zones: [a, b]
    flows:
      - {from: scada, to: plc, protocol: modbus, port: 502}"""  # no final newline, on purpose


def test_discover_into_patches_apply_in_every_shape(tmp_path):
    plant = tmp_path / "plant.yaml"
    plant.write_text(INLINE_PLANT)
    flows = tmp_path / "f.csv"
    flows.write_text("first_seen,src,dst,l4,app,dport,packets,bytes\n1,10.2.0.5,10.1.0.10,tcp,ssh,22,4,300\n")

    def apply(name: str) -> str:
        res = zw("discover", str(flows), "--into", str(plant), "-o", str(tmp_path / name))
        assert res.returncode == 0, res.stderr
        done = subprocess.run(["git", "apply", name], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert zw("check", str(plant)).returncode == 0
        return (tmp_path / name).read_text()

    first = apply("1.patch")  # a rule in a block list, in a file without a final newline: no new file
    assert "include" not in first and "discovered" not in first
    flows.write_text(flows.read_text() + "2,10.2.0.5,10.3.0.10,tcp,ssh,22,4,300\n3,10.2.0.77,10.2.0.5,tcp,ssh,22,2,1\n")
    second = apply("2.patch")  # an inline conduit: by hand; a new host: a new file, included
    assert "# add to the flows of conduit ac (written inline, so not edited):" in second
    assert "+++ b/discovered.yaml" in second and "include: [discovered.yaml]" in second
    flows.write_text(flows.read_text() + "4,10.2.0.78,10.2.0.5,tcp,ssh,22,2,1\n")
    third = apply("3.patch")  # an earlier run's file is there: the next one gets its own name
    assert "+++ b/discovered-2.yaml" in third and "include: [discovered.yaml, discovered-2.yaml]" in third


def test_paths_with_traffic_and_tracking(tmp_path):
    import shutil

    plant = tmp_path / "plant"
    shutil.copytree(EXAMPLE, plant)
    with open(plant / "tracking.yaml", "a") as fh:
        fh.write("  - {id: 'depth:rag-*', status: accepted, justification: the gateway is the entry point}\n")
    res = zw("paths", str(plant), "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    capper = next(t for t in doc["targets"] if t["asset"] == "plc-capper")
    # (outside) agv [wifi-sec] -> sup-agv [core switch] -> supervisory [its hosts] -> sup-cell2 [EDR-G9010]: 4
    assert capper["depth"] == 4 and "particle-mon" in {t["asset"] for t in doc["targets"]}
    assert capper["layers"] == ["wifi-sec", "acl-agv", "fw-cell2-sup", "av-sup"]  # av-sup: SCADA hosts send
    assert {f["id"]: f["status"] for f in doc["findings"]}["depth:rag-01"] == "accepted"
    proofs = {(c["asset"], c["requirement"]): c["proven"] for c in doc["compensations"]}
    assert proofs[("plc-washer", "CR 7.1 RE 1")] and not proofs[("plc-capper", "CR 1.1")]
    seen = json.loads(zw("paths", str(plant), "--traffic", str(plant / "traffic.pcap"), "--format", "json").stdout)
    capper = next(t for t in seen["targets"] if t["asset"] == "plc-capper")
    # the AGV reaching the capper unfiltered leaves only the WPA3 of the AGV network
    conduits = [h["id"] for h in capper["weakest_path"] if h["kind"] == "conduit"]
    assert capper["depth"] == 1 and conduits[0].startswith("observed:10.33.0.21>10.31.2.10")
    assert zw("assess", str(plant)).returncode == 0  # the paths entry is not stale for the assessment
