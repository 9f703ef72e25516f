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
