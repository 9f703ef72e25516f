"""Matching an inventory against advisories: which advisory products an asset is, and what that means.

Order of evidence: an order/model number in the product's `model_numbers`, then one written into the
product's name, then the product name (equal, or the advisory names the family: its words begin the
asset's). When the advisory lists model numbers for a product and the asset's is not among them, a
similar name is not enough. The outcome per (asset, advisory) is the most severe over the products that
matched at the best level: affected > unknown > fixed > not_affected.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .csaf import REMEDIATION_ORDER, Advisory, ProductEntry
from .names import (
    model_key,
    model_patterns,
    models_in_name,
    name_tokens,
    name_variants,
    split_version_line,
    vendor_keys,
)
from .versions import Version, compare, contains, parse_range, parse_version

OUTCOMES = ("affected", "unknown", "fixed", "not_affected")  # most severe first
LEVELS = ("model number", "model number in name", "model number pattern", "product name",
          "product name and release", "product family", "product words")


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


def _specific(words: frozenset[str]) -> bool:
    """Enough to name a product by its words alone: two words, or one like "EMAxxx" or "MX350"."""
    if len(words) >= 2:
        return True
    (w,) = words
    return len(w) >= 5 and not w.isdigit() and w not in _GENERIC


# words that name a kind of thing, not a product, when they stand alone (after a brand is dropped)
_GENERIC = {"server", "client", "software", "station", "controller", "panel", "manager", "system", "gateway",
            "router", "switch", "module", "device", "monitor", "camera", "printer", "firewall", "sensor", "agent",
            "portal", "webserver", "runtime", "editor", "designer", "viewer", "studio", "center", "suite"}


def _not_past_every_release(evidence: list[Evidence], firmware: str | None, adv: Advisory) -> None:
    """"Fixed" means past every affected release the advisory lists for the product: a firmware between two
    listed versions (2.5 among 2.2, 2.4, 2.6 and 2.7) is not affected, not fixed."""
    fw = parse_version(firmware)
    if fw is None:
        return
    tops = []
    for e in evidence:
        if e.status == "affected":
            entry = adv.by_id[e.product_id]
            top = parse_range(entry.version, entry.exact).upper if entry.version.strip() else None
            if top is not None:
                tops.append(top)
    for e in evidence:
        if e.outcome == "fixed" and any(compare(fw, t) == -1 for t in tops):
            e.outcome = "not_affected"
            e.reason = f"firmware {firmware} is outside the affected {e.version!r}, but not past every affected " \
                       "release the advisory lists"


def _together(words: frozenset[str], tokens: tuple[str, ...]) -> bool:
    """The product's words stand together in the asset's name, in any order: "MyCareLink Monitor 24950" is
    "24950 MyCareLink Monitor", but "SINEMA Remote Connect Server" is no "SINEMA Server"."""
    n = len(words)
    return any(frozenset(tokens[i:i + n]) == words for i in range(len(tokens) - n + 1))


class Matcher:
    """An index of advisory products by vendor key, model number, model pattern and name words, built once
    and asked per inventory item in a handful of dictionary lookups."""

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        self.advisories = list(advisories)
        Hit = tuple[int, ProductEntry]
        self.by_model: dict[str, list[Hit]] = defaultdict(list)
        self.by_model_in_name: dict[str, list[Hit]] = defaultdict(list)
        self.patterns: dict[str, list[tuple[re.Pattern[str], int, ProductEntry]]] = defaultdict(list)
        self.by_name: dict[tuple[str, tuple[str, ...]], list[Hit]] = defaultdict(list)
        self.by_word: dict[tuple[str, str], list[tuple[int, ProductEntry, frozenset[str]]]] = defaultdict(list)
        self.by_line: dict[tuple[str, tuple[str, ...]], list[tuple[int, ProductEntry, Version]]] = defaultdict(list)
        self.status: list[dict[str, set[str]]] = []
        words: list[tuple[str, int, ProductEntry, frozenset[str]]] = []
        freq: Counter[str] = Counter()
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
                for pattern in {*model_patterns(e.product), *model_patterns(e.name)}:
                    for k in keys:
                        self.patterns[k].append((pattern, i, e))
                line = split_version_line(e.product)
                variants = name_variants(e.product, e.vendor) | name_variants(e.name, e.vendor)
                if line is not None and (lv := parse_version(line[1])) is not None:
                    for base in name_variants(line[0], e.vendor):
                        for k in keys:
                            self.by_line[(k, base)].append((i, e, lv))
                for tokens in variants:
                    for k in keys:
                        self.by_name[(k, tokens)].append((i, e))
                    if line is None:
                        words += [(k, i, e, frozenset(tokens)) for k in keys]
                        freq.update(set(tokens))
        for k, i, e, tokens in words:  # each entry once, under its rarest word
            rare = min(tokens, key=lambda t: (freq[t], t))
            self.by_word[(k, rare)].append((i, e, tokens))

    def _candidates(self, item: Item) -> dict[int, list[tuple[int, ProductEntry, str]]]:
        """Per advisory index, the entries that matched with their level (index into LEVELS) and detail."""
        keys = vendor_keys(item.vendor)
        found: dict[int, list[tuple[int, ProductEntry, str]]] = defaultdict(list)
        model = model_key(item.model_number)
        codes = [model] if model else models_in_name(item.product or "")

        def vendor_ok(e: ProductEntry) -> bool:
            return not keys or bool(keys & vendor_keys(e.vendor))

        for code in codes:
            shown = item.model_number or item.product or code
            for i, e in self.by_model.get(code, ()):
                if vendor_ok(e):
                    found[i].append((0, e, shown))
            for i, e in self.by_model_in_name.get(code, ()):
                if vendor_ok(e):
                    found[i].append((1, e, shown))
            for k in keys:
                for pattern, i, e in self.patterns.get(k, ()):
                    if pattern.match(code):
                        found[i].append((2, e, f"{shown} fits {pattern.pattern.rstrip('$')}"))

        def listed_elsewhere(e: ProductEntry) -> bool:
            """The advisory lists this product's models, and ours is not one of them."""
            return bool(e.model_numbers and model and model not in {model_key(m) for m in e.model_numbers})

        tokens = name_tokens(item.product, item.vendor)
        have = frozenset(tokens)
        fw = parse_version(item.firmware)
        for k in keys:
            for n in range(len(tokens), 0, -1):
                if n < len(tokens) and n < 2:
                    break  # a one-word family ("SIMATIC") names too much
                for i, e in self.by_name.get((k, tokens[:n]), ()):
                    if not listed_elsewhere(e):
                        found[i].append((3 if n == len(tokens) else 5, e, " ".join(tokens[:n])))
            if fw is not None:
                for n in range(len(tokens), 0, -1):
                    for i, e, line in self.by_line.get((k, tokens[:n]), ()):
                        if line.kind == fw.kind == "num" and fw.main[: len(line.main)] == line.main \
                                and not listed_elsewhere(e):
                            found[i].append((4, e, f"{' '.join(tokens[:n])}, release {line.raw}"))
            for t in have:
                for i, e, words in self.by_word.get((k, t), ()):
                    if words <= have and _specific(words) and _together(words, tokens) and not listed_elsewhere(e):
                        found[i].append((3 if words == have else 6, e, " ".join(sorted(words))))
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
                _not_past_every_release(evidence, item.firmware, adv)
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
