"""`zonewarden check`: the format and semantic rules a plant must pass before any analysis.

Loading problems (unknown key, bad value, duplicate id) and semantic rules (dangling id,
addresses outside their zone, overlapping networks, ...) come out as one list of findings, each
located in its file. Every rule is declared once in RULES with its metadata; docs/checks.md
lists them and a test keeps that list complete.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..model.diagnostics import PlantInvalid, Problem, dotted_path
from ..model.load import RawPlant, validate_raw
from ..model.plant import FlowRule, Plant
from ..model.source import SourceMap
from ..standard.attack import load_attack
from ..standard.catalog import Catalog, load_catalog, normalize_id, system_counterparts
from . import risk
from .applicability import WIRELESS_FUNCTIONS, WIRELESS_ZONE_KINDS, Index, contradiction
from .capability import CERT_SL, COUNTED_LIFECYCLE
from .findings import Finding, Rule, finding_id
from .lifecycle import RETIRING, missing_steps, rules_by_endpoint
from .measures import PREVENTIVE, PROCEDURAL, PROCEDURAL_FAMILIES, family
from .risk import thresholds

_R = [
    # -- reading and format (found while loading)
    Rule("unreadable", "error", "Plant cannot be read",
         "A file is missing, is not YAML, or cannot be followed (include, aliases); nothing else was checked."),
    Rule("format-version", "error", "Format version", "The file must start with `zonewarden: 1`."),
    Rule("unknown-key", "error", "Unknown key", "A key the format does not define; often a typo."),
    Rule("missing-field", "error", "Missing field", "A required key is absent."),
    Rule("invalid-value", "error", "Invalid value", "A value of the wrong type or outside its vocabulary."),
    Rule("sl-range", "error", "Security level out of range",
         "Security levels are 0-4 per FR: a scalar, a list of 7 or a mapping by FR."),
    Rule("duplicate-id", "error", "Duplicate id", "An id (or key) is defined twice; the second would hide the first."),
    Rule("asset-in-two-zones", "error", "Asset in two zones",
         "One asset is placed in two zones; an asset belongs to exactly one zone.", "ZCR 3.1"),
    # -- references
    Rule("dangling-ref", "error", "Dangling reference", "An id that names nothing defined in the plant."),
    Rule("conduit-unknown-zone", "error", "Conduit names an unknown zone",
         "Both ends of a conduit must be zones of the plant.", "ZCR 3.1"),
    Rule("conduit-self", "error", "Conduit joins a zone to itself",
         "A conduit joins two different zones; traffic inside a zone is the zone's own policy.", "ZCR 3.1"),
    Rule("countermeasure-placement", "error", "Countermeasure placed elsewhere",
         "A conduit lists a countermeasure whose `at` places it somewhere else."),
    # -- addresses and networks
    Rule("ambiguous-id", "error", "Asset and zone share an id",
         "A flow endpoint names an asset or a zone by id; one id for both would be read as the zone."),
    Rule("address-outside-zone", "error", "Address outside its zone's networks",
         "An asset's address lies outside every network of its zone.", "SR 5.1"),
    Rule("address-duplicate", "error", "Address claimed twice",
         "Two assets claim the same address; traffic could not be attributed. A decommissioned asset's addresses "
         "do not count: a new asset may reuse them.", "SR 7.8"),
    Rule("network-overlap", "error", "Overlapping zone networks",
         "Two zones' networks overlap, so an address would belong to both zones.", "SR 5.1"),
    # -- flows
    Rule("flow-endpoint-outside", "error", "Flow endpoint outside the conduit",
         "A flow rule's endpoint is not in one of the zones its conduit (or zone) joins.", "SR 5.2"),
    Rule("flow-unsendable", "warning", "Flow no one could send",
         "The rule cannot match real traffic: both ends in one zone, or an end that is decommissioned.",
         "SR 7.7"),
    # -- requirements, compensations, risk
    Rule("unknown-requirement", "error", "Unknown requirement id",
         "A requirement id that no packaged 62443 catalog knows (3-3, 4-2, 4-1, 2-1, 2-4, 3-2)."),
    Rule("compensation-approver", "error", "Compensation approved by a non-owner",
         "Only an asset owner can accept the residual risk of a compensating countermeasure.", "ZCR 7.1"),
    Rule("compensation-unapproved", "warning", "Compensation not approved",
         "A compensation without `approved_by` does not count until an asset owner approves it.", "ZCR 7.1"),
    Rule("compensation-duplicate", "warning", "Compensation given twice",
         "Two compensations name the same asset and requirement: their findings and tracking entries would share "
         "one id. One compensation lists every countermeasure in its `by`.", "ZCR 5.12"),
    Rule("compensation-dates", "error", "Compensation reviewed before it was approved",
         "`review_by` must fall after `approved_on`.", "ZCR 7.1"),
    Rule("requirement-type-mismatch", "warning", "Requirement for another component type",
         "A capability `meets` names a 4-2 variant (EDR, HDR, NDR, SAR) of another component type.", "ZCR 6.4"),
    Rule("requirement-without-effect", "warning", "Countermeasure claims a requirement that SL-A cannot use",
         "A countermeasure `meets` an id with no 62443-3-3 counterpart (CR 3.14, SM-1, ...); zone SL-A ignores it. "
         "Programme ids of 2-1 and 2-4 (ORG 1.4, ...) are exempt: they evidence the programme in `crosswalk`."),
    Rule("certificate-without-sl", "warning", "Certificate that names no security level",
         "A capability gives only a certificate, and no 'SL n' can be read from it, so its SL-C counts as 0."),
    Rule("zone-flows-unused", "warning", "Zone flows that nothing enforces",
         "A zone lists `flows` but its `internal` policy is allow, so the list restricts nothing.", "SR 5.1"),
    Rule("unknown-technique", "error", "Unknown ATT&CK for ICS technique",
         "A scenario names a technique id that the packaged ATT&CK for ICS release does not hold.", "ZCR 5.1"),
    Rule("risk-scale", "error", "Risk value outside the matrix",
         "Likelihood and consequence lie on the plant's matrix; tolerable risk within its products.",
         "ZCR 4.1"),
    Rule("supplier-role", "warning", "Supplier is not a product supplier",
         "An asset's `supplier` names a role whose kind is not product_supplier."),
    # -- warnings
    Rule("asset-no-address", "warning", "Asset without address",
         "An operating networked asset with no address cannot be matched to traffic.", "SR 7.8"),
    Rule("zone-empty", "warning", "Zone without assets", "A zone that holds no asset.", "ZCR 3.1"),
    Rule("untrusted-unprotected", "warning", "Untrusted zone behind no countermeasure",
         "A conduit from an untrusted zone with no countermeasure on it.", "SR 5.2"),
    Rule("legacy-uncompensated", "warning", "Legacy asset without compensation",
         "A legacy asset with no approved compensating countermeasure.", "SR 5.2"),
    # -- scope and applicability (design §3, §4)
    Rule("external-zone-target", "warning", "SL-T or scenario on a zone outside the system under consideration",
         "An external zone (scope: external, the default for trust: untrusted) gets no SL-T, SL-A or gaps; its "
         "sl_target and the scenarios aimed at it are ignored. Set `scope: suc` if the zone is yours to secure.",
         "ZCR 1.1"),
    Rule("not-applicable-unapproved", "warning", "N/A decision not approved",
         "A requirement declared not applicable counts only once an asset owner approved it.", "ZCR 5.12"),
    Rule("not-applicable-contradicted", "warning", "N/A decision the model contradicts",
         "A requirement declared not applicable although the model shows it arises (wireless equipment in the "
         "zone; a conduit to an external or remote-access zone); the decision does not count.", "ZCR 5.12"),
    Rule("not-applicable-not-3-3", "error", "N/A decision on a requirement that is not a 62443-3-3 one",
         "Applicability decisions name 62443-3-3 requirements (SR x.y, SR x.y RE n).", "ZCR 5.12"),
    # -- partitioning (62443-3-2 ZCR 3)
    Rule("zone-mixes-business", "warning", "Business assets in a control zone",
         "Business assets (ERP, file servers) share a zone with control assets, or site operations (MES) sit "
         "in a control, safety or field zone; 62443-3-2 keeps them apart.", "ZCR 3.2"),
    Rule("zone-mixes-safety", "warning", "Safety assets beside non-safety ones",
         "A zone holds both safety-related assets (a safety controller) and basic control or business assets; "
         "62443-3-2 puts safety assets in zones of their own.", "ZCR 3.3"),
    Rule("zone-mixes-temporary", "warning", "Temporarily connected device in a zone of permanent ones",
         "A device connected only for a task shares a zone with permanently connected assets; 62443-3-2 puts "
         "temporarily connected devices in zones of their own.", "ZCR 3.4"),
    Rule("zone-mixes-wireless", "warning", "Wireless beside wired control",
         "Wireless equipment shares a zone with wired control assets; 62443-3-2 puts wireless in zones of "
         "their own.", "ZCR 3.5"),
    Rule("zone-mixes-external", "warning", "Device reached over an external network beside control assets",
         "An asset reachable from outside the plant (a cellular modem, a vendor's remote box) shares a zone with "
         "control assets; 62443-3-2 puts devices connected via external networks in zones of their own.", "ZCR 3.6"),
    Rule("zone-mixes-criticality", "warning", "Assets of very different criticality in one zone",
         "A zone holds both low- and high-criticality assets: either the low ones carry the high ones' SL-T, or "
         "the high ones are under-protected.", "ZCR 3.1"),
    # -- lifecycle
    Rule("countermeasure-device-missing", "warning", "Layers that name no device",
         "Several preventive countermeasures on one conduit name no `device`: defense in depth counts "
         "them as one box, one layer. Name each one's device when they really run on different boxes.", "ZCR 3.5"),
    Rule("decommission-incomplete", "warning", "Decommissioning not complete",
         "A decommissioning or decommissioned asset lacks a step of its `decommission` checklist (credentials, "
         "certificates, data erased, addresses released), or a flow rule still names it.", "SR 4.2"),
    Rule("decommission-early", "warning", "Decommission checklist on an asset in service",
         "An asset records `decommission` steps but its lifecycle is not decommissioning or decommissioned: the "
         "inventory says it is in service.", "SR 7.8"),
]
RULES: dict[str, Rule] = {r.id: r for r in _R}


@dataclass
class CheckResult:
    """Everything `check` found; `plant` is None when the plant failed the format rules."""

    findings: list[Finding]
    plant: Plant | None
    files: list[str]

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out


def _finding(rule_id: str, message: str, path: tuple[Any, ...], sources: SourceMap | None,
             *, key: bool = False, location: Any = None, related: tuple[Any, ...] = ()) -> Finding:
    rule = RULES[rule_id]
    loc = location if location is not None else (sources.locate(path, key=key) if sources else None)
    return Finding(finding_id(rule_id, path), rule_id, rule.severity, message, loc, path, rule.requirement,
                   related)


def unreadable(message: str, location: Any) -> Finding:
    """The one finding of a plant that could not be read (exit status 2), for JSON and SARIF consumers."""
    rule = RULES["unreadable"]
    path = (location.file,) if location else ()
    return Finding(finding_id(rule.id, path), rule.id, rule.severity, message, location, path)


def from_problem(p: Problem) -> Finding:
    rule = RULES.get(p.rule) or RULES["invalid-value"]
    path = p.path or ((p.location.file, p.location.line) if p.location else ())
    return Finding(finding_id(rule.id, path), rule.id, rule.severity, p.message, p.location, p.path,
                   rule.requirement, p.related)


def check_raw(raw: RawPlant, catalog: Catalog | None = None) -> CheckResult:
    """Validate the format, then (if it passes) run every semantic rule."""
    try:
        plant = validate_raw(raw)
    except PlantInvalid as e:
        return CheckResult([from_problem(p) for p in e.problems], None, raw.sources.files)
    return CheckResult(check_plant(plant, catalog), plant, raw.sources.files)


def check_plant(plant: Plant, catalog: Catalog | None = None) -> list[Finding]:
    """Run the semantic rules on a valid plant; findings sorted by file position."""
    ctx = _Ctx(plant, plant._sources, catalog or load_catalog())
    out: list[Finding] = []
    for rule in SEMANTIC_RULES:
        out.extend(rule(ctx))
    out.sort(key=lambda f: (f.location is None, f.location or "", f.rule))
    return out


@dataclass
class _Ctx:
    plant: Plant
    sources: SourceMap | None
    catalog: Catalog

    def f(self, rule_id: str, message: str, *path: Any, key: bool = False) -> Finding:
        return _finding(rule_id, message, tuple(path), self.sources, key=key)


SemanticRule = Callable[[_Ctx], Iterator[Finding]]


def _references(c: _Ctx) -> Iterator[Finding]:
    p = c.plant

    def ref(kind: str, table: dict[str, Any], value: str | None, *path: Any) -> Iterator[Finding]:
        if value is not None and value not in table:
            yield c.f("dangling-ref", f"{dotted_path(path)}: no {kind} {value!r} is defined", *path)

    yield from ref("role", p.roles, p.plant.owner, "plant", "owner")
    policies = p.crs.policies if p.crs else {}
    if p.crs:
        for i, s in enumerate(p.crs.approvals):
            yield from ref("role", p.roles, s.role, "crs", "approvals", i, "role")
    for zid, z in p.zones.items():
        yield from ref("role", p.roles, z.owner, "zones", zid, "owner")
        for i, pid in enumerate(z.policies):
            yield from ref("policy (crs.policies)", policies, pid, "zones", zid, "policies", i)
    for cid, cd in p.conduits.items():
        for i, zid in enumerate(cd.zones):
            if zid not in p.zones:
                yield c.f("conduit-unknown-zone", f"conduit {cid!r} names zone {zid!r}, which is not defined",
                          "conduits", cid, "zones", i)
        if len(cd.zones) == 2 and cd.zones[0] == cd.zones[1]:
            yield c.f("conduit-self", f"conduit {cid!r} joins zone {cd.zones[0]!r} to itself", "conduits",
                      cid, "zones")
        yield from ref("role", p.roles, cd.owner, "conduits", cid, "owner")
        for i, pid in enumerate(cd.policies):
            yield from ref("policy (crs.policies)", policies, pid, "conduits", cid, "policies", i)
        for i, mid in enumerate(cd.countermeasures):
            yield from ref("countermeasure", p.countermeasures, mid, "conduits", cid, "countermeasures", i)
            cm = p.countermeasures.get(mid)
            if cm is not None and cm.at.conduit != cid:
                yield c.f("countermeasure-placement",
                          f"conduit {cid!r} lists countermeasure {mid!r}, but its `at` places it at "
                          f"{cm.at.kind} {cm.at.target!r}", "conduits", cid, "countermeasures", i)
    for aid, a in p.assets.items():
        if aid in p.zones:
            yield c.f("ambiguous-id", f"{aid!r} is both an asset and a zone; rename one of them", "assets", aid,
                      key=True)
        yield from ref("zone", p.zones, a.zone, "assets", aid, "zone")
        yield from ref("role", p.roles, a.supplier, "assets", aid, "supplier")
        yield from ref("role", p.roles, a.owner, "assets", aid, "owner")
        if a.decommission is not None:
            yield from ref("role", p.roles, a.decommission.by, "assets", aid, "decommission", "by")
        for i, patch in enumerate(a.patches):
            for j, mid in enumerate(patch.compensated_by):
                yield from ref("countermeasure", p.countermeasures, mid, "assets", aid, "patches", i,
                               "compensated_by", j)
    for mid, m in p.countermeasures.items():
        table = {"zone": p.zones, "conduit": p.conduits, "asset": p.assets}[m.at.kind]
        yield from ref(m.at.kind, table, m.at.target, "countermeasures", mid, "at", m.at.kind)
        yield from ref("role", p.roles, m.owner, "countermeasures", mid, "owner")
    for i, comp in enumerate(p.compensations):
        yield from ref("asset", p.assets, comp.asset, "compensations", i, "asset")
        for j, mid in enumerate(comp.by):
            yield from ref("countermeasure", p.countermeasures, mid, "compensations", i, "by", j)
        yield from ref("role", p.roles, comp.approved_by, "compensations", i, "approved_by")
    for table, items in (("zones", p.zones), ("conduits", p.conduits)):
        for oid, item in items.items():
            for i, d in enumerate(item.applicability):
                yield from ref("role", p.roles, d.approved_by, table, oid, "applicability", i, "approved_by")
    if p.risk:
        for i, s in enumerate(p.risk.scenarios):
            yield from ref("zone", p.zones, s.zone, "risk", "scenarios", i, "zone")
            yield from ref("zone", p.zones, s.source, "risk", "scenarios", i, "source")


def _scenario_ids(c: _Ctx) -> Iterator[Finding]:
    if not c.plant.risk:
        return
    seen: dict[str, int] = {}
    for i, s in enumerate(c.plant.risk.scenarios):
        if s.id in seen:
            first = c.sources.locate(("risk", "scenarios", seen[s.id], "id")) if c.sources else None
            yield _finding("duplicate-id", f"scenario id {s.id!r} is used twice"
                           + (f" (first at {first})" if first else "") + "; an id is defined once",
                           ("risk", "scenarios", i, "id"), c.sources, related=(first,) if first else ())
        else:
            seen[s.id] = i


def _networks(c: _Ctx) -> Iterator[Finding]:
    """Zone networks as integer ranges: overlap by a sweep, membership by a scan of the zone's few networks."""
    ranges = []
    for zid, z in c.plant.zones.items():
        for i, net in enumerate(z.networks):
            ranges.append((net.version, int(net.network_address), int(net.broadcast_address), zid, i, net))
    ranges.sort()
    active: list[tuple[int, int, int, str, int, Any]] = []
    for r in ranges:
        active = [a for a in active if a[0] == r[0] and a[2] >= r[1]]
        for a in active:
            if a[3] != r[3]:
                yield c.f("network-overlap", f"network {r[5]} of zone {r[3]!r} overlaps {a[5]} of zone {a[3]!r}",
                          "zones", r[3], "networks", r[4])
        active.append(r)

    starts = [(r[0], r[1]) for r in ranges]
    owner_of: dict[Any, tuple[str, int]] = {}
    for aid, a in c.plant.assets.items():
        zone = c.plant.zones.get(a.zone)
        # a decommissioned asset's addresses are history: a new asset may reuse them (traffic goes to the live one),
        # so they are checked only against the asset's own list
        claims: dict[Any, tuple[str, int]] = {} if a.lifecycle == "decommissioned" else owner_of
        for i, addr in enumerate(a.addresses):
            if addr in claims:
                first = claims[addr]
                whom = "listed twice by the same asset" if first[0] == aid else f"also claimed by asset {first[0]!r}"
                yield c.f("address-duplicate", f"address {addr} of asset {aid!r} is {whom}", "assets", aid,
                          "addresses", i)
            else:
                claims[addr] = (aid, i)
            if zone is None or any(addr.version == n.version and addr in n for n in zone.networks):
                continue
            holder = _zone_holding(ranges, starts, addr)
            if holder is not None and holder[3] != a.zone:
                yield c.f("address-outside-zone", f"address {addr} of asset {aid!r} lies in network {holder[5]} of "
                          f"zone {holder[3]!r}, not in its zone {a.zone!r}", "assets", aid, "addresses", i)
            elif zone.networks:
                nets = ", ".join(str(n) for n in zone.networks)
                yield c.f("address-outside-zone", f"address {addr} of asset {aid!r} lies outside the networks of "
                          f"its zone {a.zone!r} ({nets})", "assets", aid, "addresses", i)


def _zone_holding(ranges: list[tuple[Any, ...]], starts: list[tuple[int, int]], addr: Any) -> tuple[Any, ...] | None:
    """The zone network that holds an address: the nearest range starting at or below it, or an earlier,
    wider one (only asked for addresses outside their own zone, so the scan back is rare)."""
    value = int(addr)
    i = bisect_right(starts, (addr.version, value)) - 1
    while i >= 0 and ranges[i][0] == addr.version:
        if ranges[i][1] <= value <= ranges[i][2]:
            return ranges[i]
        i -= 1
    return None


def _flows(c: _Ctx) -> Iterator[Finding]:
    p = c.plant

    def endpoints(rule: FlowRule, allowed: set[str], where: str, *path: Any,
                  crossing: bool = False) -> Iterator[Finding]:
        zones_seen = []
        for key, value in (("from", rule.from_), ("to", rule.to)):
            zone = c.plant.zone_of(value)
            if zone is None:
                yield c.f("dangling-ref", f"flow endpoint {value!r} is neither an asset nor a zone", *path, key)
                continue
            zones_seen.append(zone)
            if zone not in allowed:
                yield c.f("flow-endpoint-outside", f"flow endpoint {value!r} (zone {zone!r}) is not in {where}",
                          *path, key)
            asset = p.assets.get(value)
            if asset is not None and asset.lifecycle == "decommissioned":
                yield c.f("flow-unsendable", f"flow endpoint {value!r} is decommissioned", *path, key)
        if crossing and len(zones_seen) == 2 and zones_seen[0] == zones_seen[1] \
                and zones_seen[0] in allowed:
            yield c.f("flow-unsendable", f"both ends of this flow are in zone {zones_seen[0]!r}, so it never "
                      "crosses the conduit", *path)

    for cid, cd in p.conduits.items():
        joined = set(cd.zones)
        for i, rule in enumerate(cd.flows):
            yield from endpoints(rule, joined, f"the zones conduit {cid!r} joins ({', '.join(cd.zones)})",
                                 "conduits", cid, "flows", i, crossing=True)
    for zid, z in p.zones.items():
        for i, rule in enumerate(z.flows):
            yield from endpoints(rule, {zid}, f"zone {zid!r}", "zones", zid, "flows", i)


def _requirements(c: _Ctx) -> Iterator[Finding]:
    def known(rid: str, *path: Any) -> Iterator[Finding]:
        if c.catalog.find(rid) is None:
            yield c.f("unknown-requirement", f"{rid!r} is not a requirement id of IEC 62443-3-3, 4-2, 4-1, "
                      "2-1, 2-4 or 3-2 (write e.g. 'SR 1.1', 'SR 1.1 RE 1', 'CR 3.14', 'SM-1')", *path)

    p = c.plant
    for mid, m in p.countermeasures.items():
        for i, rid in enumerate(m.meets):
            yield from known(rid, "countermeasures", mid, "meets", i)
            req = c.catalog.find(rid)
            if req is not None and req.part not in ("2-1", "2-4") and not system_counterparts(rid, c.catalog):
                yield c.f("requirement-without-effect", f"countermeasure {mid!r} meets {rid}, which stands for no "
                          "62443-3-3 requirement; it does not count toward any zone's SL-A",
                          "countermeasures", mid, "meets", i)
            elif req is not None and m.kind in PROCEDURAL and system_counterparts(rid, c.catalog) \
                    and family(rid) not in PROCEDURAL_FAMILIES:
                yield c.f("requirement-without-effect", f"countermeasure {mid!r} is a {m.kind} and meets {rid}: a "
                          "policy or procedure alone carries only SR 2.3, 5.4, 7.4 and 7.5; it does not count "
                          "toward any zone's SL-A for it", "countermeasures", mid, "meets", i)
    for aid, a in p.assets.items():
        cap = a.capability
        if cap and cap.certificate and not CERT_SL.search(cap.certificate):
            then = "its SL-C counts as 0" if cap.sl is None and not cap.meets else \
                "the certificate counts for nothing and caps nothing; the lower-precedence claims stand alone"
            yield c.f("certificate-without-sl", f"asset {aid!r}: no 'SL n' in certificate {cap.certificate!r} "
                      f"(write e.g. 'ISASecure CSA SL2 ...'); {then}", "assets", aid, "capability", "certificate")
        if a.capability:
            for i, rid in enumerate(a.capability.meets):
                yield from known(rid, "assets", aid, "capability", "meets", i)
                req = c.catalog.find(rid)
                if req is not None and req.part == "4-2" and req.types and a.type not in req.types:
                    yield c.f("requirement-type-mismatch", f"asset {aid!r} is a {a.type} but claims {req.id}, "
                              f"which applies to {', '.join(req.types)}", "assets", aid, "capability", "meets", i)
    for i, comp in enumerate(p.compensations):
        yield from known(comp.requirement, "compensations", i, "requirement")


def _compensations(c: _Ctx) -> Iterator[Finding]:
    p = c.plant
    first: dict[tuple[str, str], int] = {}
    for i, comp in enumerate(p.compensations):
        key = (comp.asset, normalize_id(comp.requirement))
        if key in first:
            yield c.f("compensation-duplicate", f"compensation of {comp.requirement} for asset {comp.asset!r} is "
                      f"also compensations[{first[key]}]; both would share one finding id and one tracking entry: "
                      "merge them (list every countermeasure in one `by`)", "compensations", i)
        first.setdefault(key, i)
        if comp.approved_on and comp.review_by and comp.review_by <= comp.approved_on:
            yield c.f("compensation-dates", f"compensation of {comp.requirement} for asset {comp.asset!r} is due for "
                      f"review on {comp.review_by}, not after its approval on {comp.approved_on}",
                      "compensations", i, "review_by")
        if comp.approved_by is None:
            yield c.f("compensation-unapproved", f"compensation of {comp.requirement} for asset {comp.asset!r} "
                      "has no `approved_by`", "compensations", i)
            continue
        role = p.roles.get(comp.approved_by)
        if role is not None and role.kind != "asset_owner":
            yield c.f("compensation-approver", f"compensation of {comp.requirement} for asset {comp.asset!r} is "
                      f"approved by {comp.approved_by!r}, a {role.kind}; only an asset_owner role can approve",
                      "compensations", i, "approved_by")
    owners = {rid for rid, r in p.roles.items() if r.kind == "asset_owner"}
    compensated = {comp.asset for comp in p.compensations if comp.approved_by in owners}
    for aid, a in p.assets.items():
        if a.legacy and aid not in compensated and a.lifecycle != "decommissioned":
            yield c.f("legacy-uncompensated", f"legacy asset {aid!r} has no approved compensation", "assets", aid,
                      "legacy")
        role = p.roles.get(a.supplier or "")
        if role is not None and role.kind != "product_supplier":
            yield c.f("supplier-role", f"asset {aid!r} names supplier {a.supplier!r}, a {role.kind}", "assets",
                      aid, "supplier")


def _risk_scale(c: _Ctx) -> Iterator[Finding]:
    r = c.plant.risk
    if not r:
        return
    top = r.matrix.likelihood * r.matrix.consequence
    if r.tolerable > top:
        yield c.f("risk-scale", f"tolerable risk {r.tolerable} exceeds the largest risk of the "
                  f"{r.matrix.likelihood}x{r.matrix.consequence} matrix ({top})", "risk", "tolerable")
    th = thresholds(r)
    if not r.tolerable < th.high <= th.critical:
        yield c.f("risk-scale", f"risk bands must rise: tolerable {r.tolerable} < high {th.high} <= critical "
                  f"{th.critical}", "risk", "bands")
    sl = r.band_sl
    if not sl.tolerable <= sl.medium <= sl.high <= sl.critical:
        yield c.f("risk-scale", "band_sl must not fall from tolerable to critical "
                  f"({sl.tolerable}, {sl.medium}, {sl.high}, {sl.critical})", "risk", "band_sl")
    known = load_attack().techniques
    for i, s in enumerate(r.scenarios):
        for j, t in enumerate(s.techniques):
            if t not in known:
                yield c.f("unknown-technique", f"scenario {s.id!r}: {t} is not a technique of ATT&CK for ICS "
                          f"{load_attack().version}", "risk", "scenarios", i, "techniques", j)
        if s.likelihood > r.matrix.likelihood:
            yield c.f("risk-scale", f"scenario {s.id!r}: likelihood {s.likelihood} exceeds the matrix's "
                      f"{r.matrix.likelihood}", "risk", "scenarios", i, "likelihood")
        for cat, v in s.consequence.items():
            if v > r.matrix.consequence:
                yield c.f("risk-scale", f"scenario {s.id!r}: {cat} consequence {v} exceeds the matrix's "
                          f"{r.matrix.consequence}", "risk", "scenarios", i, "consequence", cat)


def _inventory(c: _Ctx) -> Iterator[Finding]:
    p = c.plant
    populated = set()
    for aid, a in p.assets.items():
        populated.add(a.zone)
        if not a.addresses and a.type != "software_application" and a.lifecycle not in ("planned", "decommissioned"):
            yield c.f("asset-no-address", f"asset {aid!r} has no address", "assets", aid)
    for zid, z in p.zones.items():
        if z.flows and z.internal == "allow":
            yield c.f("zone-flows-unused", f"zone {zid!r} lists flows but allows all internal traffic; set "
                      "`internal: deny` to enforce them", "zones", zid, "flows")
        if zid not in populated:
            yield c.f("zone-empty", f"zone {zid!r} holds no asset", "zones", zid)
    placed_on: dict[str, list[str]] = defaultdict(list)
    for mid, m in p.countermeasures.items():
        if m.at.conduit and m.status == "implemented":
            placed_on[m.at.conduit].append(mid)
    for cid, cd in p.conduits.items():
        untrusted = [z for z in cd.zones if z in p.zones and p.zones[z].trust == "untrusted"]
        if untrusted and not placed_on.get(cid):
            yield c.f("untrusted-unprotected", f"conduit {cid!r} joins untrusted zone {untrusted[0]!r} with no "
                      "implemented countermeasure on it", "conduits", cid)


def _lifecycle(c: _Ctx) -> Iterator[Finding]:
    """Decommissioning is a checklist (analysis.lifecycle.missing_steps, shared with `zonewarden lifecycle`)."""
    p = c.plant
    if not any(a.lifecycle in RETIRING or a.decommission is not None for a in p.assets.values()):
        return
    rules = rules_by_endpoint(p)
    for aid, a in p.assets.items():
        if a.lifecycle not in RETIRING:
            if a.decommission is not None:
                yield c.f("decommission-early", f"asset {aid!r} records decommission steps but is {a.lifecycle}; set "
                          "its lifecycle to decommissioning (or decommissioned), or remove the block", "assets", aid,
                          "decommission", key=True)
            continue
        missing = missing_steps(a, rules.get(aid, []))
        if not missing:
            continue
        # the id stays assets/<id> whether or not the block exists yet; the position is the block, else the state
        at = ("assets", aid, "decommission") if a.decommission is not None else ("assets", aid, "lifecycle")
        where = c.sources.locate(at, key=a.decommission is not None) if c.sources else None
        yield _finding("decommission-incomplete", f"asset {aid!r} is {a.lifecycle}; still to do: "
                       + "; ".join(map(str, missing)), ("assets", aid), c.sources, location=where)


# Functions by role in partitioning (62443-3-2 ZCR 3.2-3.5); vocabulary words, extended by issue 23's aliases.
# Business assets never share a zone with control ones; site operations (MES, level 3 of the reference
# model, part of the IACS) only stay out of the cells: control, safety and field zones.
BUSINESS_FUNCTIONS = ("erp", "file_server")
OPERATIONS_FUNCTIONS = ("mes",)
SAFETY_FUNCTIONS = risk.SAFETY_FUNCTIONS
BASIC_CONTROL_FUNCTIONS = ("plc", "rtu", "dcs_controller", "hmi", "scada_server", "drive", "io_module", "robot",
                           "agv", "batch_server", "opc_server", "historian")
WIRED_CONTROL_FUNCTIONS = ("plc", "rtu", "sis", "dcs_controller", "io_module", "drive")
CONTROL_ZONE_KINDS = ("control", "safety", "field")


def _partitioning(c: _Ctx) -> Iterator[Finding]:
    p = c.plant
    by_zone: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for aid, a in p.assets.items():
        if a.lifecycle in COUNTED_LIFECYCLE and a.lifecycle != "decommissioning":  # what leaves shapes no zone
            by_zone[a.zone].append((aid, a))
    for zid, members in by_zone.items():
        z = p.zones.get(zid)
        if z is None or z.external:
            continue

        def named(ids: list[str]) -> str:
            return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")

        fn = {aid: a.function for aid, a in members}
        control = [aid for aid, f in fn.items() if f in BASIC_CONTROL_FUNCTIONS + WIRED_CONTROL_FUNCTIONS]
        business = [aid for aid, f in fn.items() if f in BUSINESS_FUNCTIONS and (control or z.kind in
                                                                                 CONTROL_ZONE_KINDS)]
        business += [aid for aid, f in fn.items() if f in OPERATIONS_FUNCTIONS and z.kind in CONTROL_ZONE_KINDS]
        if business:
            yield c.f("zone-mixes-business", f"zone {zid!r} holds business assets ({named(business)}) beside "
                      f"control ones ({named(control) or z.kind + ' zone'}); give them a zone of their own", "zones",
                      zid)
        safety = [aid for aid, f in fn.items() if f in SAFETY_FUNCTIONS]
        other = [aid for aid, f in fn.items() if f in BASIC_CONTROL_FUNCTIONS + BUSINESS_FUNCTIONS
                 + OPERATIONS_FUNCTIONS + ("workstation",) and f not in SAFETY_FUNCTIONS]
        if safety and other:
            yield c.f("zone-mixes-safety", f"zone {zid!r} holds safety assets ({named(safety)}) beside "
                      f"non-safety ones ({named(other)})", "zones", zid)
        devices = [(aid, a) for aid, a in members if a.type != "software_application"]  # software is no device
        temporary = [aid for aid, a in devices if a.temporary]
        permanent = [aid for aid, a in devices if not a.temporary]
        if temporary and permanent:
            yield c.f("zone-mixes-temporary", f"zone {zid!r} holds temporarily connected devices "
                      f"({named(temporary)}) beside permanent ones ({named(permanent)})", "zones", zid)
        wireless = [aid for aid, f in fn.items() if f in WIRELESS_FUNCTIONS]
        wired = [aid for aid, f in fn.items() if f in WIRED_CONTROL_FUNCTIONS + BASIC_CONTROL_FUNCTIONS]
        if wireless and wired and z.kind not in WIRELESS_ZONE_KINDS:
            yield c.f("zone-mixes-wireless", f"zone {zid!r} holds wireless equipment ({named(wireless)}) beside "
                      f"wired control assets ({named(wired)})", "zones", zid)
        outside = [aid for aid, a in members if a.reachable_from_outside]
        reached = [aid for aid in control if aid not in outside]
        if outside and reached:
            yield c.f("zone-mixes-external", f"zone {zid!r} holds assets reachable from outside ({named(outside)}) "
                      f"beside control assets ({named(reached)})", "zones", zid)
        low = [aid for aid, a in members if a.criticality == "low"]
        high = [aid for aid, a in members if a.criticality == "high"]
        if low and high:
            yield c.f("zone-mixes-criticality", f"zone {zid!r} holds high-criticality assets ({named(high)}) "
                      f"beside low-criticality ones ({named(low)})", "zones", zid)


def _applicability(c: _Ctx) -> Iterator[Finding]:
    p = c.plant
    if p.risk is not None:
        for i, sc in enumerate(p.risk.scenarios):
            if sc.zone in p.zones and p.zones[sc.zone].external:
                yield c.f("external-zone-target", f"scenario {sc.id!r} aims at zone {sc.zone!r}, which lies outside "
                          "the system under consideration; it sets no SL-T and raises no finding (name it as the "
                          "`source` of a scenario on a zone you secure)", "risk", "scenarios", i, "zone")
    for zid, z in p.zones.items():
        if z.external and z.sl_target is not None:
            yield c.f("external-zone-target", f"zone {zid!r} lies outside the system under consideration "
                      f"(scope external{', as trust untrusted' if z.scope is None else ''}); its sl_target is "
                      "ignored", "zones", zid, "sl_target")
    places: list[tuple[str, str, list[Any], str]] = [("zone", zid, z.applicability, "zones") for zid, z in
                                                     p.zones.items()]
    places += [("conduit", cid, cd.applicability, "conduits") for cid, cd in p.conduits.items()]
    ix = Index(p) if any(decisions for _, _, decisions, _ in places) else None
    for where, oid, decisions, table in places:
        for i, d in enumerate(decisions):
            path = (table, oid, "applicability", i)
            req = c.catalog.find(d.requirement)
            if req is None or req.part != "3-3":
                yield c.f("not-applicable-not-3-3", f"{where} {oid!r}: {d.requirement!r} is not a 62443-3-3 "
                          "requirement (write e.g. 'SR 1.6' or 'SR 4.1 RE 1')", *path, "requirement")
                continue
            if not d.not_applicable:
                continue
            role = p.roles.get(d.approved_by or "")
            if d.approved_by is None:
                yield c.f("not-applicable-unapproved", f"{where} {oid!r}: {req.id} declared not applicable but not "
                          "approved; it counts once an asset owner approves it (approved_by)", *path)
            elif role is not None and role.kind != "asset_owner":
                yield c.f("not-applicable-unapproved", f"{where} {oid!r}: {req.id} declared not applicable, approved "
                          f"by {d.approved_by!r}, a {role.kind}; only an asset_owner role can approve it", *path,
                          "approved_by")
            elif (why := contradiction(p, where, oid, req.id, c.catalog, ix)) is not None:
                yield c.f("not-applicable-contradicted", f"{where} {oid!r}: {req.id} declared not applicable, but "
                          f"{why}; the decision does not count", *path)


def _devices(c: _Ctx) -> Iterator[Finding]:
    """Preventive measures without a device on one conduit: depth counts them once (design §4). Measures of one
    zone without a device also count once (they run on the zone's hosts), which needs no warning."""
    shared: dict[tuple[str, str], list[str]] = {}
    for mid, m in c.plant.countermeasures.items():
        if m.kind in PREVENTIVE and m.status == "implemented" and not m.device and m.at.conduit:
            shared.setdefault(("conduit", m.at.conduit), []).append(mid)
    for (kind, where), mids in shared.items():
        if len(mids) > 1:
            yield c.f("countermeasure-device-missing",
                      f"countermeasures {', '.join(mids)} on {kind} {where!r} name no device: defense in depth "
                      f"counts them as one layer; give each its `device` if they run on different boxes",
                      "countermeasures", mids[1], key=True)


SEMANTIC_RULES: tuple[SemanticRule, ...] = (
    _references, _scenario_ids, _networks, _flows, _requirements, _compensations, _risk_scale, _inventory,
    _lifecycle, _applicability, _partitioning, _devices,
)
