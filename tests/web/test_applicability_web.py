"""Applicability and scope in the web app: N/A requirements shown as N/A (declared or inferred, with the
reason), each gap's state, external zones shown as outside the system under consideration, and the asset
owner's N/A decisions written into the plant as checked versions (refused for other roles, and when the
checks refuse the decision). The example plant: enterprise is external; the SIS zone declares SR 2.6 N/A."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import yaml
from sqlalchemy import func, select

from zonewarden.render.plant_edit import remove_applicability, set_applicability
from zonewarden.store.tables import AuditRow, Version

from .conftest import SLUG
from .test_plants_web import newest_files, post


def versions(web) -> int:
    with web.db.session() as s:
        return s.scalar(select(func.count()).select_from(Version))


def row(page: str, attr: str, key: str) -> str:
    """The text of the table row whose `attr` is `key` (tags removed), or ''."""
    m = re.search(rf'<tr {attr}="{re.escape(key)}"[^>]*>(.*?)</tr>', page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", m[1])) if m else ""


def table(page: str, tid: str) -> str:
    m = re.search(rf'<table id="{tid}">.*?</table>', page, flags=re.S)
    return m[0] if m else ""


def field_error(page: str) -> str:
    m = re.search(r'<span class="field-error" id="requirement-error">(.*?)</span>', page, flags=re.S)
    return html.unescape(m[1]) if m else ""


def sl_achieved(client, zone: str) -> list[int]:
    return next(z["sl_achieved"] for z in client.get(f"/api/plants/{SLUG}/zones").json() if z["id"] == zone)


def test_gap_register_shows_na_requirements_and_gap_states(web_sqlite):
    c = web_sqlite.client("audit")
    page = c.get(f"/plants/{SLUG}/gaps").text
    declared = row(page, "data-na", "sis:SR 2.6")
    assert "N/A, declared" in declared and "helvion-ot on 2026-02-16" in declared
    assert "No remote sessions reach the SIS" in declared and "SIS safety requirements specification" in declared
    inferred = row(page, "data-na", "cell-1:SR 1.6")
    assert "N/A, inferred" in inferred and "no wireless asset in the zone" in inferred
    assert row(page, "data-na", "agv:SR 1.6") == ""  # the AGV zone has wireless: SR 1.6 applies there
    gaps = c.get(f"/api/plants/{SLUG}/gaps?limit=20000").json()
    assert not any(g["where"] == "enterprise" for g in gaps)  # external: no gaps
    assert not any(g["requirement"] == "SR 2.6" and g["where"] == "sis" for g in gaps)
    for g in gaps[:400]:  # each row says the gap's state; a partly bounded one names the conduits lacking it
        text = row(page, "data-gap", g["id"])
        assert {"assets_short": "assets short", "system_level": "system level",
                "partly_bounded": "partly bounded"}[g["state"]] in text, g["id"]
        if g["state"] == "partly_bounded":  # the conduits lacking the measure, or the assets that bypass them all
            assert g["conduits"] or "reachable from outside bypass every conduit" in g["why"], g["id"]
            assert all(cid in text for cid in g["conduits"])
    assert {"assets_short", "system_level", "partly_bounded"} <= {g["state"] for g in gaps}
    system = next(g for g in gaps if g["state"] == "system_level" and g["scope"] == "zone")
    assert system["assets"] == [] and "none: system level" in row(page, "data-gap", system["id"])
    only = c.get(f"/plants/{SLUG}/gaps?state=partly_bounded").text
    assert 'data-state="partly_bounded"' in only and 'data-state="assets_short"' not in only
    assert re.search(r'id="external">[^<]*<a href="/plants/[^/]+/zones/enterprise">enterprise</a>', page)


def test_external_zone_is_shown_outside_the_system_under_consideration(web_sqlite):
    c = web_sqlite.client("owner")
    zone = c.get(f"/plants/{SLUG}/zones/enterprise")
    assert zone.status_code == 200
    assert 'id="outside"' in zone.text and "Outside the system under consideration" in zone.text
    assert "SL-T <code>" not in zone.text and "<svg" not in zone.text  # no SL, no chart
    assert "Level 4 · kind enterprise · trust untrusted" in zone.text
    assert "Gaps (" not in zone.text and 'id="decide"' not in zone.text
    assert "Corporate laptops may be compromised" in zone.text  # its recorded assumptions
    overview = c.get(f"/plants/{SLUG}").text
    assert "enterprise" in row(overview, 'class="external" data-zone', "enterprise")
    assert "outside the system under consideration" in row(overview, 'class="external" data-zone', "enterprise")
    api = {z["id"]: z for z in c.get(f"/api/plants/{SLUG}/zones").json()}
    assert api["enterprise"]["scope"] == "external" and api["enterprise"]["sl_achieved"] is None
    assert api["cell-1"]["scope"] == "suc" and len(api["cell-1"]["sl_achieved"]) == 7
    one = c.get(f"/api/plants/{SLUG}/zones/enterprise").json()
    assert one["zones"] == [] and one["external_zones"][0]["scope"] == "external"
    conduit = c.get(f"/plants/{SLUG}/conduits/ent-dmz").text  # joins enterprise to the DMZ: in the SuC
    assert "(external)" in conduit and "SL-T" in conduit and 'id="outside"' not in conduit
    assert c.get(f"/plants/{SLUG}/procurement/enterprise").status_code == 404
    assert "/procurement/enterprise" not in c.get(f"/plants/{SLUG}/documents").text


def test_asset_owner_records_an_na_decision_that_changes_the_next_version(web):
    owner = web.client("owner")
    original = newest_files(web)["plant.yaml"]
    # vendor-remote: SR 3.2 RE 1 is a system-level gap and the only one holding SI at 1
    before = owner.get(f"/plants/{SLUG}/zones/vendor-remote").text
    assert "system level" in row(before, "data-gap", "gap:vendor-remote:SR 3.2 RE 1")
    assert sl_achieved(owner, "vendor-remote")[2] == 1
    r = post(owner, f"/plants/{SLUG}/zones/vendor-remote/applicability",
             {"requirement": "sr 3.2 re1", "justification": "Sessions end on the gateway; no file transfer",
              "evidence": "Remote access design RA-3, section 2", "base": "1"})
    assert r.status_code == 303 and r.headers["location"].endswith("/zones/vendor-remote#applicability")
    assert versions(web) == 2
    after = owner.get(f"/plants/{SLUG}/zones/vendor-remote").text
    assert row(after, "data-gap", "gap:vendor-remote:SR 3.2 RE 1") == ""
    na = row(table(after, "not-applicable"), "data-requirement", "SR 3.2 RE 1")
    assert "N/A, declared" in na and f"helvion-ot on {dt.date.today().isoformat()}" in na
    assert "Remote access design RA-3" in na
    assert sl_achieved(owner, "vendor-remote")[2] == 2
    ids = [g["id"] for g in owner.get(f"/api/plants/{SLUG}/gaps?zone=vendor-remote").json()]
    assert "gap:vendor-remote:SR 3.2 RE 1" not in ids
    text = newest_files(web)["plant.yaml"].decode()
    entry = yaml.safe_load(text)["zones"]["vendor-remote"]["applicability"]
    assert entry == [{"requirement": "SR 3.2 RE 1", "not_applicable": True,
                      "justification": "Sessions end on the gateway; no file transfer", "approved_by": "helvion-ot",
                      "approved_on": dt.date.today().isoformat(), "evidence": "Remote access design RA-3, section 2"}]
    assert "scope: suc                                    # untrusted, yet ours to secure" in text  # comments kept
    with web.db.session() as s:
        v = s.scalar(select(Version).where(Version.number == 2))
        assert v.author.name == "owner"
        assert v.message == "zone vendor-remote: SR 3.2 RE 1 not applicable, approved by owner"
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "applicability.decide"))
        assert audit.actor == "owner" and audit.subject == "zone:vendor-remote:SR 3.2 RE 1"
        assert json.loads(audit.detail)["approved_by"] == "helvion-ot"
    # withdrawn: the gap comes back in version 3, the plant file is as it was
    r = post(owner, f"/plants/{SLUG}/zones/vendor-remote/applicability/withdraw",
             {"requirement": "SR 3.2 RE 1", "base": "2"})
    assert r.status_code == 303 and versions(web) == 3
    assert "system level" in row(owner.get(f"/plants/{SLUG}/zones/vendor-remote").text, "data-gap",
                                 "gap:vendor-remote:SR 3.2 RE 1")
    assert sl_achieved(owner, "vendor-remote")[2] == 1
    assert newest_files(web)["plant.yaml"] == original  # byte for byte


def conduit_sl_achieved(client, conduit: str) -> list[int]:
    data = client.get(f"/api/plants/{SLUG}/assessment").json()
    return next(c["sl_achieved"] for c in data["conduits"] if c["id"] == conduit)


def test_a_conduit_decision_and_the_form_for_each_role(web_sqlite):
    owner = web_sqlite.client("owner")
    page = owner.get(f"/plants/{SLUG}/conduits/dmz-sup").text
    assert 'id="decide"' in page and 'action="/plants/fill-finish-line-3/conduits/dmz-sup/applicability"' in page
    ids = {g["id"] for g in owner.get(f"/api/plants/{SLUG}/gaps?zone=dmz-sup").json()}
    assert {"gap:dmz-sup:SR 3.1", "gap:dmz-sup:SR 3.1 RE 1"} <= ids
    assert conduit_sl_achieved(owner, "dmz-sup")[2] == 0  # SI: SR 3.1 (SL 1) unmet
    r = post(owner, f"/plants/{SLUG}/conduits/dmz-sup/applicability",
             {"requirement": "SR 3.1", "justification": "Replication only; integrity is checked by the historians"})
    assert r.status_code == 303
    ids = {g["id"] for g in owner.get(f"/api/plants/{SLUG}/gaps?zone=dmz-sup").json()}
    assert not ids & {"gap:dmz-sup:SR 3.1", "gap:dmz-sup:SR 3.1 RE 1"}  # a base SR covers its REs
    assert conduit_sl_achieved(owner, "dmz-sup")[2] == 1  # SI: SR 3.8 (SL 2) still unmet
    after = owner.get(f"/plants/{SLUG}/conduits/dmz-sup").text
    assert "N/A, declared" in row(table(after, "not-applicable"), "data-requirement", "SR 3.1 RE 1")
    auditor = web_sqlite.client("audit")
    read = auditor.get(f"/plants/{SLUG}/conduits/dmz-sup").text
    assert "counts" in row(table(read, "decisions"), "data-requirement", "SR 3.1")
    assert 'id="decide"' not in read and "Withdraw" not in read  # read-only
    sis = auditor.get(f"/plants/{SLUG}/zones/sis").text
    assert "No remote sessions reach the SIS" in row(table(sis, "not-applicable"), "data-requirement", "SR 2.6")


def test_an_integrator_or_auditor_cannot_record_or_withdraw_a_decision(web_sqlite):
    for name in ("integ", "audit", "vitrea"):
        c = web_sqlite.client(name)
        r = post(c, f"/plants/{SLUG}/zones/vendor-remote/applicability",
                 {"requirement": "SR 3.2 RE 1", "justification": "not mine to decide"})
        assert r.status_code == 403, name
        r = post(c, f"/plants/{SLUG}/zones/sis/applicability/withdraw", {"requirement": "SR 2.6"})
        assert r.status_code == 403, name
    integ = web_sqlite.client("integ").get(f"/plants/{SLUG}/zones/sis").text
    assert 'id="decide"' not in integ and "Withdraw" not in integ
    assert versions(web_sqlite) == 1


def test_a_decision_the_checks_refuse_is_not_saved_and_says_why_beside_the_field(web_sqlite):
    owner = web_sqlite.client("owner")
    # the DMZ has a conduit to the external enterprise zone: untrusted-network requirements arise there
    r = post(owner, f"/plants/{SLUG}/zones/site-dmz/applicability",
             {"requirement": "SR 1.13 RE 1", "justification": "we trust IT", "evidence": "none", "base": "1"})
    assert r.status_code == 422
    message = field_error(r.text)
    assert "SR 1.13 RE 1 declared not applicable, but conduit ent-dmz joins it to enterprise" in message
    assert "not-applicable-contradicted" in message
    assert 'value="SR 1.13 RE 1"' in r.text and "we trust IT" in r.text  # the form keeps what was typed
    # wireless equipment in the AGV zone
    r = post(owner, f"/plants/{SLUG}/zones/agv/applicability", {"requirement": "SR 1.6", "justification": "x"})
    assert r.status_code == 422 and "the zone holds wireless equipment" in field_error(r.text)
    # not a 62443-3-3 requirement: the check's error
    r = post(owner, f"/plants/{SLUG}/zones/cell-1/applicability", {"requirement": "CR 1.1", "justification": "x"})
    assert r.status_code == 422 and "'CR 1.1' is not a 62443-3-3 requirement" in field_error(r.text)
    r = post(owner, f"/plants/{SLUG}/zones/cell-1/applicability", {"requirement": "SR 2.6", "justification": " "})
    assert r.status_code == 422 and "justification is needed" in field_error(r.text)
    assert versions(web_sqlite) == 1
    r = post(owner, f"/plants/{SLUG}/zones/enterprise/applicability", {"requirement": "SR 2.6", "justification": "x"})
    assert r.status_code == 422 and "outside the system under consideration" in field_error(r.text)
    assert post(owner, f"/plants/{SLUG}/zones/nowhere/applicability",
                {"requirement": "SR 2.6", "justification": "x"}).status_code == 404
    assert post(owner, f"/plants/{SLUG}/zones/cell-1/applicability/withdraw",
                {"requirement": "SR 2.6"}).status_code == 404  # nothing recorded there


def test_an_approved_decision_cannot_be_changed_by_an_upload_from_another_role(web_sqlite):
    from .test_plants_web import zipped

    integ = web_sqlite.client("integ")
    files = newest_files(web_sqlite)
    text = files["plant.yaml"].decode()
    forged = text.replace("justification: No remote sessions reach the SIS;", "justification: Anything;", 1)
    assert forged != text
    r = post(integ, f"/plants/{SLUG}/versions", {"message": "reword"},
             {"file": ("p.zip", zipped(dict(files, **{"plant.yaml": forged.encode()})), "application/zip")})
    assert r.status_code == 403 and "the approved applicability decision on SR 2.6 of zone sis" in r.text
    assert versions(web_sqlite) == 1


# --- the edit of the plant file ------------------------------------------------------------------------------
PLANT = """\
zones:
  z1:   # the first zone
    name: Zone 1
    flows:
      - {from: a, to: b,
         protocol: modbus}        # a flow mapping over two lines
  z2:
    name: Zone 2
    applicability:                # decided
      - requirement: SR 2.6
        not_applicable: true
        justification: old
        approved_by: own
      # a comment about the next one
      - requirement: SR 1.6
        justification: keep
conduits:
  c1: {zones: [z1, z2]}   # flow style
"""


def test_set_and_remove_applicability_touch_only_the_entry_lines():
    added = set_applicability(PLANT, ("zones", "z1"), {"requirement": "SR 3.1", "not_applicable": True,
                                                       "justification": 'say "no"', "evidence": ""})
    assert added == PLANT.replace("         protocol: modbus}        # a flow mapping over two lines\n",
                                  "         protocol: modbus}        # a flow mapping over two lines\n"
                                  "    applicability:\n      - requirement: \"SR 3.1\"\n        not_applicable: true\n"
                                  "        justification: \"say \\\"no\\\"\"\n")
    assert yaml.safe_load(added)["zones"]["z1"]["applicability"][0]["justification"] == 'say "no"'
    replaced = set_applicability(PLANT, ("zones", "z2"), {"requirement": "sr 2.6", "justification": "new"})
    assert replaced == PLANT.replace("      - requirement: SR 2.6\n        not_applicable: true\n"
                                     "        justification: old\n        approved_by: own\n",
                                     "      - requirement: \"sr 2.6\"\n        justification: \"new\"\n")
    gone = remove_applicability(PLANT, ("zones", "z2"), "SR 1.6")
    assert "# a comment about the next one" in gone and "justification: keep" not in gone
    assert yaml.safe_load(gone)["zones"]["z2"]["applicability"] == [
        {"requirement": "SR 2.6", "not_applicable": True, "justification": "old", "approved_by": "own"}]
    empty = remove_applicability(remove_applicability(PLANT, ("zones", "z2"), "SR 1.6"), ("zones", "z2"), "SR 2.6")
    assert "applicability" not in empty and "# the first zone" in empty
    flow = set_applicability(PLANT, ("conduits", "c1"), {"requirement": "SR 1.13", "justification": "x"})
    assert yaml.safe_load(flow)["conduits"]["c1"]["applicability"] == [{"requirement": "SR 1.13",
                                                                        "justification": "x"}]
    assert "# the first zone" in flow  # a flow-style conduit: the whole file round trip keeps the comments
    import pytest

    with pytest.raises(KeyError):
        remove_applicability(PLANT, ("zones", "z1"), "SR 2.6")
    with pytest.raises(KeyError):
        set_applicability(PLANT, ("zones", "z9"), {"requirement": "SR 2.6", "justification": "x"})
