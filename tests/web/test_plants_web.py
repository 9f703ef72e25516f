"""Plants through the web: uploads refused with the plant's own errors, forms that write versions keeping
comments, stale forms refused, diffs and change records, approvals that lapse, evidence, a supplier's
workbook, traffic verdicts."""

from __future__ import annotations

import io
import json
import zipfile

from openpyxl import load_workbook
from sqlalchemy import func, select

from zonewarden.store.plants import files_of, latest
from zonewarden.store.tables import PlantRow, Version

from .conftest import EXAMPLE, SLUG, example_zip


def versions(web) -> int:
    with web.db.session() as s:
        return s.scalar(select(func.count()).select_from(Version))


def newest_files(web) -> dict[str, bytes]:
    with web.db.session() as s:
        return files_of(s, latest(s, s.scalar(select(PlantRow).where(PlantRow.slug == SLUG))))


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, body in files.items():
            z.writestr(f"p/{path}", body)
    return buf.getvalue()


def post(client, url, data=None, files=None):
    return client.post(url, data={**(data or {}), "csrf_token": client.csrf}, files=files, follow_redirects=False)


def test_a_plant_with_errors_is_refused_with_file_and_line(web_sqlite):
    c = web_sqlite.client("integ")
    bad = (b"zonewarden: 1\nplant: {name: Broken}\nzones:\n"
           b"  z1: {level: 1, kind: control, sl_target: [9, 1, 1, 1, 1, 1, 1]}\n")
    r = post(c, "/plants", {"message": "broken"}, {"file": ("broken.yaml", bad, "application/x-yaml")})
    assert r.status_code == 422 and "broken.yaml:4" in r.text
    r = post(c, "/plants", {"message": "x"}, {"file": ("x.zip", b"PK\x03\x04 not really", "application/zip")})
    assert r.status_code == 422 and "zip" in r.text
    assert versions(web_sqlite) == 1


def test_status_edit_writes_a_version_that_keeps_the_comments(web):
    c = web.client("integ")
    r = post(c, f"/plants/{SLUG}/tracking", {"finding": "gap:cell-1:SR 1.1", "status": "accepted",
                                             "justification": "Jump host only, see MOC-7", "base": "1"})
    assert r.status_code == 303
    text = newest_files(web)["tracking.yaml"].decode()
    assert text.startswith("# Decisions on the findings of `zonewarden assess`")  # the file's comments stay
    assert "gap:cell-1:SR 1.1" in text and "Jump host only, see MOC-7" in text
    gaps = c.get(f"/api/plants/{SLUG}/gaps?status=accepted").json()
    assert "gap:cell-1:SR 1.1" in [g["id"] for g in gaps]
    stale = post(c, f"/plants/{SLUG}/tracking", {"finding": "gap:cell-1:SR 1.2", "status": "mitigated", "base": "1"})
    assert stale.status_code == 409 and "version 2 was saved" in stale.text
    assert post(c, f"/plants/{SLUG}/tracking", {"finding": "x", "status": "accepted"}).status_code == 422  # no why
    with web.db.session() as s:
        v = s.scalar(select(Version).where(Version.number == 2))
        assert v.author.name == "integ" and "accepted" in v.message


def test_diff_and_change_record_between_versions(web_sqlite):
    c = web_sqlite.client("owner")
    post(c, f"/plants/{SLUG}/components/plc-washer", {"sl": "2 2 1 1 1 1 1", "certificate": "TR-2026-17"})
    page = c.get(f"/plants/{SLUG}/diff?old=1&new=2")
    assert page.status_code == 200 and "plc-washer" in page.text
    rec = c.get(f"/plants/{SLUG}/change-record?old=1&new=2&format=json")
    assert rec.status_code == 200
    data = json.loads(rec.text)
    assert data["from"]["spec"] == "version 1" and data["commits"][0]["subject"].startswith("version 2:")
    assert any(ch["id"] == "plc-washer" for ch in data["changes"]["changes"])
    assert data["rollback"][0].startswith("Model: restore version 1")
    assert c.get(f"/plants/{SLUG}/change-record?old=1&new=2&format=pdf").content.startswith(b"%PDF")


def test_approval_of_a_compensation_lapses_when_its_countermeasure_changes(web):
    owner = web.client("owner")
    assert post(owner, f"/plants/{SLUG}/approvals", {"kind": "compensation", "subject": "plc-washer:CR 1.1",
                                                      "base": "1"}).status_code == 303
    api = owner.get(f"/plants/{SLUG}/compensations").text
    assert '<span class="ok">yes</span>' in api
    integ = web.client("integ")
    # the integrator drops the jump host from the compensation: what was approved is no longer what is there
    r = post(integ, f"/plants/{SLUG}/compensations", {"index": "0", "justification": "firewall only",
                                                       "by": ["fw-cell1-eng"], "review_by": "2027-02-16"})
    assert r.status_code == 303
    page = owner.get(f"/plants/{SLUG}/compensations").text
    assert "no: changed since" in page
    with web.db.session() as s:
        from zonewarden.store.tables import Approval

        a = s.scalar(select(Approval))
        assert a.user.name == "owner" and a.version.number == 2 and len(a.version_hash) == 64
        assert a.version.message == "compensation plc-washer:CR 1.1 approved by owner"
    # the integrator's change also cleared the plant's own record of the approval: it no longer counts
    plant_yaml = newest_files(web)["plant.yaml"].decode()
    washer = plant_yaml.split("- asset: plc-washer", 1)[1].split("- asset:", 1)[0]
    assert "approved_by" not in washer and "firewall only" in washer


def test_only_the_asset_owner_may_set_approvals_and_patch_states(web_sqlite):
    integ = web_sqlite.client("integ")
    files = newest_files(web_sqlite)
    text = files["plant.yaml"].decode()
    assert "approved_by: helvion-ot" in text
    head, comps = text.split("\ncompensations:", 1)  # the first compensation's approval, backdated
    backdated = head + "\ncompensations:" + comps.replace('approved_on: "2026-02-16"', 'approved_on: "2025-02-16"', 1)
    forged = dict(files, **{"plant.yaml": backdated.encode()})
    r = post(integ, f"/plants/{SLUG}/versions", {"message": "backdate an approval"},
             {"file": ("p.zip", zipped(forged), "application/zip")})
    assert r.status_code == 403 and "only an asset owner may change the approval of compensation" in r.text
    na = text.replace('approved_on: "2026-02-16"', 'approved_on: "2025-02-16"', 1)  # the SIS zone's N/A decision
    assert na.index("2025-02-16") < text.index("\ncompensations:")
    r = post(integ, f"/plants/{SLUG}/versions", {"message": "backdate an N/A decision"},
             {"file": ("p.zip", zipped(dict(files, **{"plant.yaml": na.encode()})), "application/zip")})
    assert r.status_code == 403 and "the approved applicability decision on SR 2.6 of zone sis" in r.text
    cell1 = next(p for p in files if p.endswith("cell-1.yaml"))
    patched = dict(files, **{cell1: files[cell1].decode().replace("state: deferred", "state: installed", 1).encode()})
    assert patched != files
    r = post(integ, f"/plants/{SLUG}/versions", {"message": "mark installed"},
             {"file": ("p.zip", zipped(patched), "application/zip")})
    assert r.status_code == 403 and "patch states of" in r.text
    owner = web_sqlite.client("owner")
    r = post(owner, f"/plants/{SLUG}/versions", {"message": "mark installed"},
             {"file": ("p.zip", zipped(patched), "application/zip")})
    assert r.status_code == 303
    assert versions(web_sqlite) == 2


def test_accepted_finding_and_change_record_approvals(web_sqlite):
    owner = web_sqlite.client("owner")
    r = post(owner, f"/plants/{SLUG}/approvals", {"kind": "accepted-finding", "subject": "gap:cell-2:SR 1.*"})
    assert r.status_code == 303
    r = post(owner, f"/plants/{SLUG}/approvals", {"kind": "accepted-finding", "subject": "gap:*:SR 3.1"})
    assert r.status_code == 404  # in progress, not accepted: nothing to approve
    post(owner, f"/plants/{SLUG}/tracking", {"finding": "gap:cell-2:SR 1.*", "status": "accepted",
                                             "justification": "changed wording"})
    assert "no: changed since" in owner.get(f"/plants/{SLUG}/compensations").text
    assert post(owner, f"/plants/{SLUG}/approvals", {"kind": "change-record", "subject": "v1..v2"}).status_code == 303


def test_evidence_is_stored_by_hash_and_checked(web_sqlite):
    c = web_sqlite.client("integ")
    pdf = b"%PDF-1.4\n% test report\n"
    r = post(c, f"/plants/{SLUG}/evidence", {"subject": "gap:cell-1:SR 1.1"},
             {"file": ("../../etc/passwd report.pdf", pdf, "application/pdf")})
    assert r.status_code == 303
    listing = c.get(f"/plants/{SLUG}/evidence?subject=gap:cell-1:SR 1.1").text
    assert "passwd report.pdf" in listing
    got = c.get(f"/plants/{SLUG}/evidence/1")
    assert got.content == pdf and got.headers["content-type"] == "application/pdf"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment") and ".." not in disposition and "/" not in disposition
    import hashlib

    digest = hashlib.sha256(pdf).hexdigest()
    assert (web_sqlite.tmp / "data" / "evidence" / digest[:2] / digest).read_bytes() == pdf
    assert not list((web_sqlite.tmp / "data").rglob("*passwd*"))
    liar = post(c, f"/plants/{SLUG}/evidence", {"subject": "x"},
                {"file": ("a.pdf", b"\x89PNG\r\n\x1a\n....", "application/pdf")})
    assert liar.status_code == 422 and "declared application/pdf, but the content is image/png" in liar.text
    exe = post(c, f"/plants/{SLUG}/evidence", {"subject": "x"},
               {"file": ("a.exe", b"MZ\x90\x00\x03", "application/octet-stream")})
    assert exe.status_code == 422
    (web_sqlite.tmp / "data" / "evidence" / digest[:2] / digest).write_bytes(b"%PDF-1.4 tampered")
    tampered = c.get(f"/plants/{SLUG}/evidence/1")  # a changed file is never served as if it were the evidence
    assert tampered.status_code == 500 and "no longer matches its hash" in tampered.text


def test_supplier_answers_its_procurement_pack(web_sqlite, tmp_path):
    c = web_sqlite.client("vitrea")
    pack = c.get(f"/plants/{SLUG}/procurement/cell-1?component_type=embedded_device&format=xlsx")
    assert pack.status_code == 200
    wb = load_workbook(io.BytesIO(pack.content))
    ws = wb["requirements"]
    header = [x.value for x in ws[1]]
    resp = header.index("response") + 1
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, resp).value = "meets"
    ws.cell(2, resp).value = "maybe"  # a mistake the supplier is told about
    buf = io.BytesIO()
    wb.save(buf)
    r = post(c, f"/plants/{SLUG}/procurement/cell-1/response", {"asset": "plc-filler"},
             {"file": ("answers.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200 and "could not be used" in r.text and "Saved as version 2" in r.text
    text = next(b for p, b in newest_files(web_sqlite).items() if p.endswith("cell-1.yaml")).decode()
    assert ids[1] in text
    other = post(c, f"/plants/{SLUG}/procurement/cell-1/response", {"asset": "fw-cell1"},
                 {"file": ("answers.xlsx", buf.getvalue(), "application/octet-stream")})
    assert other.status_code == 404  # another supplier's component answers as if it did not exist


def test_traffic_upload_gives_verdicts_on_the_overview(web_sqlite):
    c = web_sqlite.client("integ")
    r = post(c, f"/plants/{SLUG}/traffic", files={"file": ("traffic.pcap", (EXAMPLE / "traffic.pcap").read_bytes(),
                                                             "application/vnd.tcpdump.pcap")})
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "no_conduit" in page and "traffic.pcap" in page
    overview = c.get(f"/plants/{SLUG}").text
    assert "traffic.pcap" in overview
    # where to act first: by residual risk, with the reason
    assert "Where to act first" in overview and "scenario ransomware-it keeps residual risk 15 (high" in overview


def test_plant_files_download_round_trips(web_sqlite):
    c = web_sqlite.client("audit")
    z = zipfile.ZipFile(io.BytesIO(c.get(f"/plants/{SLUG}/documents/plant.zip").content))
    original = zipfile.ZipFile(io.BytesIO(example_zip()))
    ours = {n.split("/", 1)[1]: z.read(n) for n in z.namelist()}
    theirs = {n.split("/", 1)[1]: original.read(n) for n in original.namelist() if not n.endswith(".pcap")}
    assert ours == theirs
