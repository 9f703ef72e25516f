"""`zonewarden lifecycle`: every asset by lifecycle state, with what its state still requires.

The state decides what an asset feeds: a planned one feeds procurement and no SL-A; commissioning,
operating, maintenance and decommissioning ones count for their zone's SL-A (capability.COUNTED_LIFECYCLE);
a decommissioned one must be gone from the network, the flow rules and traffic. Taking a component out of
service is a checklist (`decommission:` on the asset, 62443-3-3 SR 4.2): `missing_steps` computes what is
left, here and for the check rule decommission-incomplete alike. docs/lifecycle.md.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import vocabulary as V
from ..model.plant import Asset, Compensation, FlowRule, Plant
from ..model.source import paused_gc
from ..model.tracking import CLOSED
from .assess import Assessment, ZoneResult, assess
from .capability import COUNTED_LIFECYCLE
from .findings import SEVERITIES, severity_rank
from .gaps import Gap

RETIRING = ("decommissioning", "decommissioned")
# checklist field -> the step in words
CHECKLIST = {
    "credentials_revoked": "credentials revoked",
    "certificates_revoked": "certificates revoked",
    "data_erased": "data erased",
    "addresses_released": "addresses released",
}
FLOW_RULES_STEP = "removed from every flow rule"
REVIEW_WINDOW = dt.timedelta(days=30)  # a compensation due for review this soon is worth saying
MEANING = {
    "planned": "not on the network yet and not counted in SL-A; its zone's SL-T says what to buy",
    "commissioning": "being installed; counted in SL-A; verify it before it goes into operation",
    "operating": "in service; counted in SL-A",
    "maintenance": "out of service for work; still counted in SL-A; re-verify before it returns to operating",
    "decommissioning": "being taken out of service; counted in SL-A until it is gone",
    "decommissioned": "out of service; not counted in SL-A; must not appear in flow rules or traffic",
}


@dataclass(frozen=True)
class RuleRef:
    """A flow rule that names an asset: the conduit (or zone) that holds it, its index there, what it allows."""

    scope: str  # conduit | zone
    where: str
    index: int
    rule: FlowRule

    @property
    def path(self) -> tuple[str, str, str, int]:
        return ("conduits" if self.scope == "conduit" else "zones", self.where, "flows", self.index)

    def __str__(self) -> str:
        r = self.rule
        service = (r.protocol or "any") + (f"/{','.join(map(str, r.ports))}" if r.ports else "")
        arrow = "<>" if r.direction == "both" else "->"
        return f"{self.scope} {self.where} flows[{self.index}]: {r.from_} {arrow} {r.to} {service}"


def rules_by_endpoint(plant: Plant) -> dict[str, list[RuleRef]]:
    """Every conduit and zone flow rule under each id it names as `from` or `to` (built once per plant)."""
    out: dict[str, list[RuleRef]] = {}
    holders = [("conduit", cid, c.flows) for cid, c in plant.conduits.items()]
    holders += [("zone", zid, z.flows) for zid, z in plant.zones.items()]
    for scope, where, flows in holders:
        for i, rule in enumerate(flows):
            for end in dict.fromkeys((rule.from_, rule.to)):
                out.setdefault(end, []).append(RuleRef(scope, where, i, rule))
    return out


@dataclass(frozen=True)
class Step:
    """A decommission step not done: a checklist field not recorded, or the flow rules that still name the asset."""

    step: str  # a checklist field, or "flow_rules"
    text: str
    rules: tuple[RuleRef, ...] = ()

    def __str__(self) -> str:
        return self.text + (f" ({'; '.join(map(str, self.rules))})" if self.rules else "")

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "text": self.text, "rules": [str(r) for r in self.rules]}


def missing_steps(asset: Asset, rules: Sequence[RuleRef]) -> list[Step]:
    """What is left of taking `asset` out of service: each checklist field it does not record (a date or
    n/a), then every flow rule that still names it (`rules`: its entry of rules_by_endpoint)."""
    done = asset.decommission
    out = [Step(key, text) for key, text in CHECKLIST.items() if done is None or getattr(done, key) is None]
    if rules:
        out.append(Step("flow_rules", FLOW_RULES_STEP, tuple(rules)))
    return out


@dataclass(slots=True)  # not frozen: a big plant makes a million of them, and frozen ones cost twice the time
class Requirement:
    """One thing an asset's state still requires, with a stable id and the command that helps, if any."""

    id: str
    what: str  # procure | sl-c | evidence | address | gap | verify | compensation | reverify | decommission | traffic
    severity: str
    text: str
    ref: str | None = None  # the gap id, compensation requirement or checklist step it is about
    command: tuple[str, ...] = ()  # a zonewarden command that helps, without the plant path: ("procure", ...)

    def command_line(self, plant: str = "PLANT") -> str | None:
        """The command as a user types it, with the plant path in its place."""
        if not self.command:
            return None
        return " ".join(["zonewarden", self.command[0], shlex.quote(plant), *map(shlex.quote, self.command[1:])])

    def as_dict(self, plant: str = "PLANT") -> dict[str, Any]:
        return {"id": self.id, "what": self.what, "severity": self.severity, "text": self.text, "ref": self.ref,
                "command": self.command_line(plant)}


@dataclass
class AssetState:
    asset: str
    name: str | None
    zone: str
    type: str
    function: str
    lifecycle: str
    counted: bool  # counts toward its zone's SL-A
    requires: list[Requirement] = field(default_factory=list)

    def as_dict(self, plant: str = "PLANT") -> dict[str, Any]:
        return {"asset": self.asset, "name": self.name, "zone": self.zone, "type": self.type,
                "function": self.function, "lifecycle": self.lifecycle, "counted": self.counted,
                "requires": [r.as_dict(plant) for r in self.requires]}


@dataclass
class StateGroup:
    state: str
    meaning: str
    assets: list[AssetState]

    def as_dict(self, plant: str = "PLANT") -> dict[str, Any]:
        return {"state": self.state, "meaning": self.meaning, "counted": self.state in COUNTED_LIFECYCLE,
                "assets": [a.as_dict(plant) for a in self.assets]}


@dataclass
class Lifecycle:
    plant: str
    as_of: dt.date
    states: list[StateGroup]  # every state, in lifecycle order (planned ... decommissioned)

    @property
    def requirements(self) -> list[Requirement]:
        return [r for g in self.states for a in g.assets for r in a.requires]

    def at_or_above(self, severity: str) -> int:
        """Requirements at or above a severity: what `--fail-on` counts."""
        return sum(1 for r in self.requirements if severity_rank(r.severity) >= severity_rank(severity))

    def by_severity(self) -> dict[str, int]:
        """Requirements per severity, worst first; severities with none left out."""
        reqs = self.requirements
        return {s: n for s in reversed(SEVERITIES) if (n := sum(1 for r in reqs if r.severity == s))}

    def as_dict(self, plant: str = "PLANT") -> dict[str, Any]:
        """`plant`: the path that commands name (as the user gave it), PLANT when unknown."""
        return {"plant": self.plant, "as_of": self.as_of.isoformat(),
                "states": [g.as_dict(plant) for g in self.states],
                "summary": {"assets": {g.state: len(g.assets) for g in self.states},
                            "requirements": len(self.requirements), "by_severity": self.by_severity()}}


def lifecycle(plant: Plant, assessment: Assessment | None = None, as_of: dt.date | None = None) -> Lifecycle:
    """Every asset of the plant by state, with what its state still requires as of a date (default today).
    `assessment` supplies capability sources and open gaps (with the tracking file's statuses); without
    one, the plant is assessed here."""
    day = as_of or dt.date.today()
    a = assessment or assess(plant, as_of=day)
    retiring = any(x.lifecycle in RETIRING for x in plant.assets.values())
    groups = {state: StateGroup(state, MEANING[state], []) for state in V.LIFECYCLE}
    with paused_gc():  # a big plant gives ~10^6 requirements; a GC pass would re-scan the whole loaded plant
        ctx = _Context(plant, a, day, rules_by_endpoint(plant) if retiring else {})
        for aid in sorted(plant.assets, key=lambda x: (plant.assets[x].zone, x)):
            asset = plant.assets[aid]
            groups[asset.lifecycle].assets.append(AssetState(
                aid, asset.name, asset.zone, asset.type, asset.function, asset.lifecycle,
                asset.lifecycle in COUNTED_LIFECYCLE, ctx.requires(aid, asset)))
    return Lifecycle(plant.plant.name, day, list(groups.values()))


@dataclass
class _Context:
    """What the requirements are read from, indexed once (a plant may hold 20,000 assets)."""

    plant: Plant
    assessment: Assessment
    as_of: dt.date
    rules: dict[str, list[RuleRef]]
    zones: dict[str, ZoneResult] = field(init=False)
    gaps: dict[str, list[tuple[Gap, str]]] = field(init=False)  # asset -> open gaps of its zone naming it, with text
    compensations: dict[str, list[Compensation]] = field(init=False)  # asset -> those with a review date

    def __post_init__(self) -> None:
        self.zones = {z.id: z for z in self.assessment.zones}
        self.compensations = {}
        for comp in self.plant.compensations:
            if comp.review_by is not None:
                self.compensations.setdefault(comp.asset, []).append(comp)
        self.gaps = {}
        for z in self.assessment.zones:
            for g in z.gaps:
                if g.status not in CLOSED:
                    text = f"open gap {g.requirement} ({g.title}) of zone {g.where} names it; {g.owner_role} to act"
                    for aid in g.assets:
                        self.gaps.setdefault(aid, []).append((g, text))

    def requires(self, aid: str, asset: Asset) -> list[Requirement]:
        by_state = {
            "planned": (self._planned,),
            "commissioning": (self._evidence, self._address, self._gaps, self._verify),
            "operating": (self._gaps, self._compensations),
            "maintenance": (self._gaps, self._compensations, self._reverify),
            "decommissioning": (self._decommission,),
            "decommissioned": (self._decommission, self._traffic),
        }[asset.lifecycle]
        return [r for part in by_state for r in part(aid, asset)]

    def _source(self, aid: str) -> str:
        cap = self.assessment.capabilities.get(aid)
        return cap.source if cap is not None else "none"

    def _planned(self, aid: str, asset: Asset) -> list[Requirement]:
        zone = self.zones.get(asset.zone)
        procure = ("procure", "--zone", asset.zone, "--type", asset.type)
        if self._source(aid) == "none":
            return [Requirement(f"lifecycle:{aid}:procure", "procure", "info",
                                "no capability evidence yet: ask its supplier with the procurement pack for its zone",
                                command=procure)]
        cap = self.assessment.capabilities[aid].sl
        if zone is None or cap.meets(zone.sl_target):
            return []
        short = ", ".join(cap.shortfall(zone.sl_target))
        return [Requirement(f"lifecycle:{aid}:sl-c", "sl-c", "medium",
                            f"its SL-C {cap} falls short of zone {asset.zone}'s SL-T {zone.sl_target} on {short}: "
                            "it would open gaps once commissioned", command=procure)]

    def _evidence(self, aid: str, asset: Asset) -> list[Requirement]:
        if self._source(aid) != "none":
            return []
        return [Requirement(f"lifecycle:{aid}:evidence", "evidence", "medium",
                            "no capability evidence (sl, certificate or meets): it counts in SL-A as SL-C 0")]

    def _address(self, aid: str, asset: Asset) -> list[Requirement]:
        if asset.addresses or asset.type == "software_application":
            return []
        return [Requirement(f"lifecycle:{aid}:address", "address", "low",
                            "no address: its traffic cannot be matched to it")]

    def _gaps(self, aid: str, asset: Asset) -> list[Requirement]:
        return [Requirement(f"lifecycle:{aid}:{g.id}", "gap", g.severity, text, g.id)
                for g, text in self.gaps.get(aid, [])]

    def _verify(self, aid: str, asset: Asset) -> list[Requirement]:
        return [Requirement(f"lifecycle:{aid}:verify", "verify", "info",
                            "verify before operating: capability evidence, addresses, flow rules and open gaps; "
                            "then set lifecycle: operating")]

    def _compensations(self, aid: str, asset: Asset) -> list[Requirement]:
        out = []
        for comp in self.compensations.get(aid, []):
            if comp.review_by is None or comp.review_by > self.as_of + REVIEW_WINDOW:
                continue
            rid = f"lifecycle:{aid}:compensation:{comp.requirement}"
            if comp.review_by < self.as_of:
                out.append(Requirement(rid, "compensation", "high", f"compensation of {comp.requirement} was due for "
                                       f"review on {comp.review_by}: it no longer counts", ref=comp.requirement))
            else:
                out.append(Requirement(rid, "compensation", "low", f"compensation of {comp.requirement} is due for "
                                       f"review by {comp.review_by}", ref=comp.requirement))
        return out

    def _reverify(self, aid: str, asset: Asset) -> list[Requirement]:
        return [Requirement(f"lifecycle:{aid}:reverify", "reverify", "info",
                            "if firmware or configuration changed, re-verify its capability evidence before it returns "
                            "to operating")]

    def _decommission(self, aid: str, asset: Asset) -> list[Requirement]:
        return [Requirement(f"lifecycle:{aid}:decommission:{s.step}", "decommission", "medium", f"still to do: {s}",
                            ref=s.step)
                for s in missing_steps(asset, self.rules.get(aid, []))]

    def _traffic(self, aid: str, asset: Asset) -> list[Requirement]:
        text = "must not appear in traffic: judge a capture"
        if not asset.addresses and asset.type != "software_application":
            text += " (it lists no address, so traffic to its former ones reads as uninventoried: keep them listed)"
        return [Requirement(f"lifecycle:{aid}:traffic", "traffic", "info", text, command=("traffic", "CAPTURE"))]
