"""The advisories page on CISA's real CSAF corpus: matches with patch states, edited by the asset owner only."""

from __future__ import annotations

import pytest

from ..advisories.conftest import CSAF
from .conftest import SLUG


@pytest.fixture
def web_csaf(web_sqlite):
    if not CSAF.is_dir():
        pytest.skip(f"{CSAF} is not here")
    web_sqlite.app.state.settings.csaf = CSAF
    return web_sqlite


def test_advisories_page_shows_matches_and_the_owner_sets_a_patch_state(web_csaf):
    owner = web_csaf.client("owner")
    page = owner.get(f"/plants/{SLUG}/advisories").text
    assert "2379 advisories read" in page
    assert 'data-asset="plc-filler" data-advisory="ICSA-22-349-03"' in page
    assert 'data-asset="drive-filler" data-advisory="ICSA-23-348-05"' in page
    assert "advisory:rag-01:ICSA-23-257-06" in page  # the critical finding
    r = owner.post(f"/plants/{SLUG}/patches", data={"asset": "drive-filler", "ref": "ICSA-23-348-05",
                                                    "state": "evaluating", "csrf_token": owner.csrf},
                   follow_redirects=False)
    assert r.status_code == 303
    after = owner.get(f"/plants/{SLUG}/advisories").text
    row = after.split('data-asset="drive-filler" data-advisory="ICSA-23-348-05"', 1)[1].split("</tr>", 1)[0]
    assert "<option selected>evaluating</option>" in row
    versions = owner.get(f"/api/plants/{SLUG}/versions").json()
    assert versions[-1]["message"] == "drive-filler: ICSA-23-348-05 evaluating"


def test_integrator_reads_but_cannot_set_patch_states(web_csaf):
    integ = web_csaf.client("integ")
    page = integ.get(f"/plants/{SLUG}/advisories").text
    assert 'data-advisory="ICSA-22-349-03"' in page and 'name="state"' not in page
    r = integ.post(f"/plants/{SLUG}/patches", data={"asset": "plc-filler", "ref": "ICSA-22-349-03",
                                                    "state": "installed", "csrf_token": integ.csrf})
    assert r.status_code == 403
