"""Matching an inventory against advisories: which advisory products an asset is, and what that means.

Order of evidence: an order/model number in the product's `model_numbers`, then one written into the
product's name, then the product name (equal, or the advisory names the family: its words begin the
asset's). When the advisory lists model numbers for a product and the asset's is not among them, a
similar name is not enough. The outcome per (asset, advisory) is the most severe over the products that
matched at the best level: affected > unknown > fixed > not_affected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .csaf import REMEDIATION_ORDER, Advisory, ProductEntry
from .names import model_key, models_in_name, name_tokens, vendor_keys
from .versions import compare, contains, parse_range, parse_version

OUTCOMES = ("affected", "unknown", "fixed", "not_affected")  # most severe first
LEVELS = ("model number", "model number in name", "product name", "product family")


@dataclass(frozen=True)
class Item:
    """What is matched: an asset, or a component of an asset from its supplier's SBOM (`component`)."""

    asset: str
    vendor: str | None
    product: str | None
    model_number: str | None
    firmware: str | None
    component: str | None = None


@dataclass
class Evidence:
    product_id: str
    product: str  # the advisory's product name
    version: str  # its version or range, as written
    on: str  # one of LEVELS
    detail: str  # what matched: the model number or the words
    status: str  # what the advisory states for it: affected | not_affected | fixed | unknown
    outcome: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "product": self.product, "version": self.version, "on": self.on,
                "matched": self.detail, "status": self.status, "outcome": self.outcome, "reason": self.reason}


@dataclass
class Match:
    item: Item
    advisory: Advisory
    outcome: str
    reason: str
    evidence: list[Evidence]
    cves: list[str]
    cvss: float | None
    vector: str | None
    remediation: list[dict[str, Any]] = field(default_factory=list)

    @property
    def asset(self) -> str:
        return self.item.asset

    def as_dict(self) -> dict[str, Any]:
        a = self.advisory
        return {"asset": self.item.asset, "component": self.item.component, "advisory": a.id, "title": a.title,
                "published": a.published.isoformat() if a.published else None,
                "updated": a.updated.isoformat() if a.updated else None, "url": a.url,
                "cves": self.cves, "cvss": self.cvss, "cvss_vector": self.vector, "outcome": self.outcome,
                "reason": self.reason, "firmware": self.item.firmware,
                "evidence": [e.as_dict() for e in self.evidence], "remediation": self.remediation}


def judge(entry: ProductEntry, status: str, firmware: str | None) -> tuple[str, str]:
    """Outcome and reason for one matched product, given the status the advisory states for it."""
    rng = parse_range(entry.version, entry.exact) if entry.version.strip() else parse_range("*")
    shown = entry.version.strip() or "no version given"
    if status == "unknown":
        return "unknown", "the advisory says the product is under investigation"
    if rng.kind == "all":
        if status == "affected":
            return "affected", f"all versions are affected ({shown})"
        return status, f"the advisory states {status.replace('_', ' ')} for all versions"
    if rng.kind == "unparseable":
        return "unknown", f"range unparseable: {shown!r} ({rng.reason})"
    fw = parse_version(firmware)
    if fw is None:
        return "unknown", f"version unknown: the firmware is {'not recorded' if not firmware else repr(firmware)}; " \
                          f"the advisory names {shown!r}"
    inside = contains(rng, fw)
    if inside is None:
        return "unknown", f"cannot compare firmware {firmware!r} with {shown!r}"
    if status == "affected":
        if inside:
            return "affected", f"firmware {firmware} is in {shown!r}"
        top = rng.upper
        if top is not None and (compare(fw, top) or 0) >= 0:
            return "fixed", f"firmware {firmware} is past the affected {shown!r} (a release after {top.raw.strip()})"
        return "not_affected", f"firmware {firmware} is outside {shown!r}"
    if inside:
        return status, f"firmware {firmware} is in {shown!r}, stated {status.replace('_', ' ')}"
    return "unknown", f"firmware {firmware} is outside {shown!r}, the only versions the advisory states " \
                      f"{status.replace('_', ' ')}"


class Matcher:
    """An index of advisory products by vendor key, model number and name words, built once and asked
    per inventory item in a handful of dictionary lookups."""

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        self.advisories = list(advisories)
        self.by_model: dict[str, list[tuple[int, ProductEntry]]] = defaultdict(list)
        self.by_model_in_name: dict[str, list[tuple[int, ProductEntry]]] = defaultdict(list)
        self.by_name: dict[tuple[str, tuple[str, ...]], list[tuple[int, ProductEntry]]] = defaultdict(list)
        self.status: list[dict[str, set[str]]] = []
        for i, adv in enumerate(self.advisories):
            per: dict[str, set[str]] = defaultdict(set)
            for v in adv.vulnerabilities:
                for pid, st in v.status.items():
                    per[pid].add(st)
            self.status.append(per)
            for e in adv.products:
                if e.product_id not in per:
                    continue  # in the tree but in no vulnerability's status
                for m in e.model_numbers:
                    self.by_model[model_key(m)].append((i, e))
                for m in {*models_in_name(e.name), *models_in_name(e.product)}:
                    self.by_model_in_name[m].append((i, e))
                keys = vendor_keys(e.vendor)
                for tokens in {name_tokens(e.product, e.vendor), name_tokens(e.name, e.vendor)}:
                    if tokens:
                        for k in keys:
                            self.by_name[(k, tokens)].append((i, e))

    def _candidates(self, item: Item) -> dict[int, list[tuple[int, ProductEntry, str]]]:
        """Per advisory index, the entries that matched with their level index and detail."""
        keys = vendor_keys(item.vendor)
        found: dict[int, list[tuple[int, ProductEntry, str]]] = defaultdict(list)
        model = model_key(item.model_number)

        def vendor_ok(e: ProductEntry) -> bool:
            return not keys or bool(keys & vendor_keys(e.vendor))

        if model:
            for i, e in self.by_model.get(model, ()):
                if vendor_ok(e):
                    found[i].append((0, e, item.model_number or model))
            for i, e in self.by_model_in_name.get(model, ()):
                if vendor_ok(e):
                    found[i].append((1, e, item.model_number or model))
        tokens = name_tokens(item.product, item.vendor)
        for k in keys:
            for n in range(len(tokens), 0, -1):
                if n < len(tokens) and n < 2:
                    break  # a one-word family ("SIMATIC") names too much
                for i, e in self.by_name.get((k, tokens[:n]), ()):
                    if e.model_numbers and model and model not in {model_key(m) for m in e.model_numbers}:
                        continue  # the advisory lists this product's models, and ours is not one
                    found[i].append((2 if n == len(tokens) else 3, e, " ".join(tokens[:n])))
        return found

    def match(self, item: Item) -> list[Match]:
        out = []
        for i, hits in self._candidates(item).items():
            adv = self.advisories[i]
            best = min(level for level, _, _ in hits)
            seen: set[str] = set()
            evidence = []
            for level, e, detail in hits:
                if level != best or e.product_id in seen:
                    continue
                seen.add(e.product_id)
                states = self.status[i][e.product_id]
                for st in sorted(states, key=OUTCOMES.index):
                    outcome, reason = judge(e, st, item.firmware)
                    evidence.append(Evidence(e.product_id, e.name or e.product, e.version, LEVELS[level], detail, st,
                                             outcome, reason))
            if evidence:
                out.append(self._summarise(item, adv, evidence))
        return out

    def _summarise(self, item: Item, adv: Advisory, evidence: list[Evidence]) -> Match:
        evidence.sort(key=lambda e: (OUTCOMES.index(e.outcome), e.product_id))
        top = evidence[0]
        pids = {e.product_id for e in evidence}
        cves: list[str] = []
        cvss: tuple[float, str] | None = None
        rems: dict[tuple[str, str], dict[str, Any]] = {}
        for v in adv.vulnerabilities:
            hit = [p for p in pids if p in v.status]
            if not hit:
                continue
            if v.cve and v.cve not in cves and (top.outcome != "affected" or any(v.status[p] == "affected"
                                                                                 for p in hit)):
                cves.append(v.cve)
            for p in hit:
                if p in v.cvss and (cvss is None or v.cvss[p][0] > cvss[0]):
                    cvss = v.cvss[p]
            for r in v.remediations:
                if r.product_ids & pids:
                    rems.setdefault((r.category, r.details), {"category": r.category, "details": r.details,
                                                              "url": r.url})
        order = {c: n for n, c in enumerate(REMEDIATION_ORDER)}
        remediation = sorted(rems.values(), key=lambda r: (order.get(r["category"], 9), r["details"]))
        return Match(item, adv, top.outcome, top.reason, evidence, sorted(cves), cvss[0] if cvss else None,
                     cvss[1] if cvss else None, remediation)

    def match_all(self, items: Iterable[Item]) -> list[Match]:
        out = []
        for item in items:
            out.extend(self.match(item))
        out.sort(key=lambda m: (m.item.asset, m.item.component or "", m.advisory.id))
        return out
