"""The CSAF reader on CISA's corpus, and on files that are not advisories."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from zonewarden.advisories.csaf import read_folder

from .conftest import CSAF


def test_whole_corpus(corpus) -> None:
    # figures of ../shared/reference/crosswalk-facts.md section 3
    assert len(corpus.advisories) == 2379 and corpus.problems == []
    assert sum(a.id.startswith("ICSMA") for a in corpus.advisories) == 144
    vulns = [v for a in corpus.advisories for v in a.vulnerabilities]
    assert len(vulns) == 7907 and all(v.cve for v in vulns)
    states = [s for v in vulns for s in v.status.values()]
    assert states.count("not_affected") >= 24 and "fixed" in states


def test_one_advisory_read_in_full(corpus) -> None:
    adv = next(a for a in corpus.advisories if a.id == "ICSA-24-256-07")
    assert adv.published == dt.date(2024, 9, 10)
    p = adv.by_id["CSAFPID-0001"]
    assert (p.vendor, p.version, p.model_numbers) == ("Siemens", "vers:all/<V4.2", ("6GT2811-6BC10-2AA0",))
    v = next(v for v in adv.vulnerabilities if v.cve == "CVE-2024-37990")
    assert v.cwe == "CWE-912" and v.cvss["CSAFPID-0001"][0] == 6.5 and v.status["CSAFPID-0001"] == "affected"
    assert any(r.category == "vendor_fix" and "V4.2" in r.details for r in v.remediations)


def test_bad_files_are_reported_and_skipped(tmp_path) -> None:
    shutil.copy(CSAF / "2024" / "icsa-24-256-07.json", tmp_path / "good.json")
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"document": {"csaf_version": "2.1"}}))
    (tmp_path / "noid.json").write_text(json.dumps({"document": {"csaf_version": "2.0", "tracking": {}}}))
    (tmp_path / "feed.json").write_text(json.dumps({"feed": {"entry": []}}))  # a ROLIE feed: passed over
    corpus = read_folder(tmp_path)
    assert [a.id for a in corpus.advisories] == ["ICSA-24-256-07"]
    problems = "\n".join(corpus.problems)
    assert len(corpus.problems) == 3
    assert "broken.json: not JSON" in problems and "csaf_version is '2.1'" in problems
    assert "noid.json: not a CSAF 2.0 advisory: no `document.tracking.id`" in problems


def test_since(tmp_path) -> None:
    shutil.copy(CSAF / "2024" / "icsa-24-256-07.json", tmp_path / "a.json")
    shutil.copy(CSAF / "2017" / sorted(p.name for p in (CSAF / "2017").glob("*.json"))[0], tmp_path / "b.json")
    assert [a.id for a in read_folder(tmp_path, dt.date(2024, 1, 1)).advisories] == ["ICSA-24-256-07"]
    assert len(read_folder(tmp_path).advisories) == 2
