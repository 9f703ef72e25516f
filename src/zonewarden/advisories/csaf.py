"""Reading CSAF 2.0 security advisories (OASIS), as CISA and vendor PSIRTs publish them.

Only what matching and reporting need is kept: the product tree flattened to one entry per product
(vendor, product name, version or range, model numbers), and per vulnerability its CVE, CWE, CVSS v3,
product status and remediations. A file that is not a CSAF 2.0 advisory is reported and skipped.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# CSAF product_status keys, read as the outcome they state for a product
STATUS = {"known_affected": "affected", "first_affected": "affected", "last_affected": "affected",
          "known_not_affected": "not_affected", "fixed": "fixed", "first_fixed": "fixed",
          "under_investigation": "unknown", "recommended": None}
REMEDIATION_ORDER = ("vendor_fix", "mitigation", "workaround", "no_fix_planned", "none_available")


@dataclass(frozen=True)
class ProductEntry:
    """One leaf of the product tree: `version` is the version or range text of its branch."""

    product_id: str
    vendor: str
    product: str
    version: str
    exact: bool  # a product_version branch (one version), not a product_version_range
    name: str
    model_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Remediation:
    category: str
    details: str
    url: str | None
    product_ids: frozenset[str]


@dataclass
class Vulnerability:
    cve: str | None
    cwe: str | None
    cvss: dict[str, tuple[float, str]]  # product id -> (base score, vector)
    status: dict[str, str]  # product id -> affected | not_affected | fixed | unknown
    remediations: list[Remediation]


@dataclass
class Advisory:
    id: str
    title: str
    path: str
    published: dt.date | None
    updated: dt.date | None
    products: list[ProductEntry]
    vulnerabilities: list[Vulnerability]
    url: str | None = None
    by_id: dict[str, ProductEntry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {p.product_id: p for p in self.products}


class NotCSAF(ValueError):
    """The file is not a CSAF 2.0 advisory; the message says what is missing."""


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _products(branches: Iterable[dict], trail: dict[str, str], out: list[ProductEntry]) -> None:
    for br in branches:
        if not isinstance(br, dict):
            continue
        here = {**trail, br.get("category", ""): str(br.get("name", "")).strip()}
        product = br.get("product")
        if isinstance(product, dict) and product.get("product_id"):
            helper = product.get("product_identification_helper") or {}
            models = tuple(str(m).strip() for m in helper.get("model_numbers") or () if str(m).strip())
            version = here.get("product_version") or here.get("product_version_range") or ""
            name = here.get("product_name") or here.get("product_family") or str(product.get("name", ""))
            out.append(ProductEntry(str(product["product_id"]), here.get("vendor", ""), name, version,
                                    "product_version" in here, str(product.get("name", "")), models))
        _products(br.get("branches") or (), here, out)


def _vulnerability(v: dict) -> Vulnerability:
    status: dict[str, str] = {}
    for key, ids in (v.get("product_status") or {}).items():
        outcome = STATUS.get(key)
        for pid in ids or ():
            if outcome and status.get(pid) != "affected":
                status[pid] = outcome
    cvss: dict[str, tuple[float, str]] = {}
    for score in v.get("scores") or ():
        c3 = score.get("cvss_v3") or {}
        if "baseScore" not in c3:
            continue
        pair = (float(c3["baseScore"]), str(c3.get("vectorString", "")))
        for pid in score.get("products") or ():
            if pid not in cvss or cvss[pid][0] < pair[0]:
                cvss[pid] = pair
    rems = [Remediation(str(r.get("category", "")), str(r.get("details", "")).strip(), r.get("url"),
                        frozenset(r.get("product_ids") or ())) for r in v.get("remediations") or ()]
    cwe = (v.get("cwe") or {}).get("id")
    return Vulnerability(v.get("cve"), cwe, cvss, status, rems)


def parse_advisory(data: Any, path: str) -> Advisory:
    """An Advisory from a parsed CSAF document; NotCSAF names the first thing missing."""
    if not isinstance(data, dict) or not isinstance(data.get("document"), dict):
        raise NotCSAF("no `document` object")
    doc = data["document"]
    if str(doc.get("csaf_version")) != "2.0":
        raise NotCSAF(f"csaf_version is {doc.get('csaf_version')!r}, expected '2.0'")
    tracking = doc.get("tracking")
    if not isinstance(tracking, dict) or not tracking.get("id"):
        raise NotCSAF("no `document.tracking.id`")
    vulns = data.get("vulnerabilities", [])
    if not isinstance(vulns, list):
        raise NotCSAF("`vulnerabilities` is not a list")
    products: list[ProductEntry] = []
    _products((data.get("product_tree") or {}).get("branches") or (), {}, products)
    url = next((r.get("url") for r in doc.get("references") or () if r.get("category") == "self"
                and "cisa.gov" in str(r.get("url", ""))), None) or \
        next((r.get("url") for r in doc.get("references") or () if r.get("category") == "self"), None)
    return Advisory(str(tracking["id"]).strip(), str(doc.get("title", "")).strip(), path,
                    _date(tracking.get("initial_release_date")), _date(tracking.get("current_release_date")),
                    products, [_vulnerability(v) for v in vulns if isinstance(v, dict)], url)


@dataclass
class Corpus:
    advisories: list[Advisory]
    problems: list[str]  # "<file>: <why it was skipped>"


def read_folder(folder: Path, since: dt.date | None = None) -> Corpus:
    """Every `*.json` below the folder that is a CSAF 2.0 advisory (ROLIE feeds and provider metadata,
    which are JSON too, are recognised and passed over silently); `since` keeps advisories published or
    revised on or after that date."""
    advisories: list[Advisory] = []
    problems: list[str] = []
    for path in sorted(folder.rglob("*.json")):
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not JSON ({exc})")
            continue
        if isinstance(data, dict) and ("feed" in data or ("canonical_url" in data and "document" not in data)):
            continue
        try:
            adv = parse_advisory(data, str(path))
        except NotCSAF as exc:
            problems.append(f"{path}: not a CSAF 2.0 advisory: {exc}")
            continue
        except (AttributeError, TypeError, ValueError) as exc:
            problems.append(f"{path}: malformed CSAF ({type(exc).__name__}: {exc})")
            continue
        if since and (adv.updated or adv.published or dt.date.min) < since:
            continue
        advisories.append(adv)
    return Corpus(advisories, problems)
