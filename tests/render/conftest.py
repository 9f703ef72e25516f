"""The example plant's review (assessment, paths, traffic verdicts), computed once for the document tests."""

from __future__ import annotations

import datetime as dt

import pytest

from zonewarden.analysis.review import review
from zonewarden.model.load import load_plant
from zonewarden.model.tracking import load_tracking
from zonewarden.traffic.sources import read_traffic

from ..conftest import EXAMPLE

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="session")
def example_review():
    plant = load_plant(EXAMPLE)
    tracking, _ = load_tracking(EXAMPLE / "tracking.yaml")
    flows = read_traffic([EXAMPLE / "traffic.pcap"]).table
    return review(plant, tracking, tracking_file=str(EXAMPLE / "tracking.yaml"), flows=flows,
                  traffic_inputs=["traffic.pcap"], as_of=AS_OF)


# A plant small enough to check the documents by hand (issue 21): corp (untrusted) and partner (kind external)
# lie outside the system under consideration, corp-partner joins only them; scada's SL-T is derived from two
# scenarios: phish (4 x 4 = 16, high -> SL 3) touches only RDF through T0883, insider (2 x 4 = 8, medium -> SL 2)
# names no technique and so raises all seven FRs. scada declares SR 2.3 N/A (approved by the asset owner) and
# SR 7.5 N/A approved by the integrator (refused: the requirement stays applicable). plc (UC 0) is compensated
# on SR 2.1 (approved, and fw-sc lies on the one path from corp) and not on SR 2.4 (no approval).
SMALL = """\
zonewarden: 1
plant: {name: Small works, owner: owner}
roles:
  owner: {kind: asset_owner, name: Water OT}
  integ: {kind: integrator, name: Integrator}
zones:
  corp: {name: Corporate IT, level: 4, kind: enterprise, trust: untrusted, networks: [10.1.0.0/24],
         assumptions: [Office laptops may be compromised.]}
  partner: {name: Partner WAN, level: 4, kind: external, networks: [10.8.0.0/24]}
  scada:
    name: SCADA
    level: 2
    kind: supervisory
    networks: [10.2.0.0/24]
    sl_target: auto
    applicability:
      - {requirement: SR 2.3, not_applicable: true, justification: No portable device is allowed in the plant.,
         approved_by: owner, approved_on: 2026-03-01, evidence: Site rule R-7}
      - {requirement: SR 7.5, not_applicable: true, justification: The UPS is not ours., approved_by: integ}
  control: {name: Control, level: 1, kind: control, networks: [10.3.0.0/24], sl_target: 2}
conduits:
  corp-scada: {zones: [corp, scada], flows: [{from: corp, to: srv, protocol: https, port: 443}]}
  scada-control:
    zones: [scada, control]
    countermeasures: [fw-sc]
    flows: [{from: srv, to: plc, protocol: modbus, port: 502}]
  corp-partner: {zones: [corp, partner]}
assets:
  srv: {zone: scada, type: host_device, addresses: [10.2.0.10], capability: {sl: 2}}
  plc: {zone: control, type: embedded_device, addresses: [10.3.0.10], legacy: true,
        capability: {sl: [2, 0, 2, 2, 2, 2, 2]}}
countermeasures:
  fw-sc: {kind: firewall, at: {conduit: scada-control}, meets: [SR 5.1, SR 5.2, SR 2.1], owner: integ}
compensations:
  - {asset: plc, requirement: SR 2.1, by: [fw-sc], approved_by: owner, justification: Only srv reaches the PLC.}
  - {asset: plc, requirement: SR 2.4, by: [fw-sc], justification: No mobile code crosses the firewall.}
risk:
  tolerable: 6
  scenarios:
    - {id: phish, zone: scada, source: corp, techniques: [T0883], likelihood: 4, consequence: {production: 4}}
    - {id: insider, zone: scada, likelihood: 2, consequence: {production: 4}}
"""


@pytest.fixture(scope="session")
def small_review(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "plant.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return review(load_plant(path), as_of=AS_OF)
