"""Discovery round trip on every real capture: the draft checks without error, and judging the same
capture against the draft finds no zone, conduit or address violation (clear text may remain)."""

from __future__ import annotations

import pytest

from zonewarden.analysis.checks import check_raw
from zonewarden.analysis.conformance import conformance
from zonewarden.analysis.discover import discover
from zonewarden.model.load import read_raw
from zonewarden.render.draft import draft_yaml
from zonewarden.traffic.capture import CAPTURE_SUFFIXES
from zonewarden.traffic.flows import read_flows
from zonewarden.traffic.table import flows_to_arrow

from ..conftest import EXAMPLE, SHARED

PCAPS = SHARED / "data" / "pcaps"
CAPTURES = sorted(p for p in PCAPS.rglob("*") if p.suffix in CAPTURE_SUFFIXES)
VIOLATIONS = {"no_conduit", "not_allowed", "op_not_allowed", "uninventoried", "outside_zones"}


def round_trip(capture, tmp_path) -> list[str]:
    flows = flows_to_arrow(read_flows([capture]))
    path = tmp_path / "draft.yaml"
    path.write_text(draft_yaml(discover(flows), [capture.name]))
    result = check_raw(read_raw(path))
    errors = [f"{f.location}: {f.message}" for f in result.findings if f.severity == "error"]
    if errors or result.plant is None:
        return errors or ["the draft does not load"]
    return [v.id for v in conformance(result.plant, flows).verdicts if v.kind in VIOLATIONS]


def test_round_trip_on_every_shared_capture(tmp_path):
    assert len(CAPTURES) >= 280
    failures = {}
    for capture in CAPTURES:
        problems = round_trip(capture, tmp_path)
        if problems:
            failures[str(capture.relative_to(PCAPS))] = problems[:3]
    assert not failures, failures


def test_guesses_carry_their_evidence(tmp_path):
    flows = flows_to_arrow(read_flows([EXAMPLE / "traffic.pcap"]))
    text = draft_yaml(discover(flows), ["traffic.pcap"])
    assert "  host-10-31-2-10:  # plc: serves s7comm" in text  # plc-capper
    assert "net-10-31-1-0-24:  # subnet 10.31.1.0/24: 7 plc" in text
    assert "# seen: 1 flow(s)" in text and "ops [read, write]" not in text


@pytest.mark.parametrize("capture", ["s7/s7comm_downloading_block_db1.pcap", "s7/step7_s300_download.pcapng"])
def test_program_downloads_make_an_engineering_workstation(capture, tmp_path):
    path = PCAPS / capture
    if not path.exists():
        pytest.skip(f"{capture} not in the shared captures")
    draft = discover(flows_to_arrow(read_flows([path])))
    assert "ews" in {h.function for h in draft.hosts.values()}


def test_macs_and_their_vendors_from_a_real_capture():
    draft = discover(flows_to_arrow(read_flows([PCAPS / "EthernetIP" / "cip-eth-set-2.pcap"])))
    plc = draft.hosts["192.168.10.121"]
    assert (plc.function, plc.mac, plc.vendor) == ("plc", "00:00:bc:3b:d6:59", "Rockwell Automation")
    text = draft_yaml(draft, ["cip-eth-set-2.pcap"])
    assert 'macs: ["00:00:bc:3b:d6:59"]' in text and 'vendor: "Rockwell Automation"  # from the MAC' in text


def test_vendor_lookup_skips_multicast_and_local_addresses():
    from zonewarden.standard.oui import vendor_of

    assert vendor_of("00:1b:1b:8e:21:40") == "Siemens"
    assert vendor_of("01:00:5e:00:00:fb") is None and vendor_of("02:00:00:00:00:01") is None
    assert vendor_of(None) is None
