"""Advisories on the inventory: patch states (IEC TR 62443-2-3), findings, and what they do to risk.

A match (asset, advisory) comes from `advisories.match`; this module reads it against the asset's
`patches:` entries and the plant's policy (`risk.vulnerabilities`, `risk.depth`):
- affected, and no patch entry for the advisory or one of its CVEs: finding `advisory:<asset>:<advisory>`;
- a deferred patch without implemented compensating countermeasures: `patch-deferred:<asset>:<ref>`;
- affected, not installed, CVSS at or above `critical_cvss`, and an entry point reaches the asset with
  fewer layers than the depth policy asks: the `advisory:` finding is critical, whatever its patch state;
- a patch recorded installed while the recorded firmware is still in the affected range: `patch-stale:`.
Likelihood: every scenario of a zone holding an affected asset that is not patched (installed) nor
deferred with compensation, for an advisory at or above `min_cvss`, gains `likelihood_raise` levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..advisories.match import Match
from ..model.plant import Patch, Plant
from .paths import AttackGraph, TargetDepth, depths


@dataclass
class Row:
    match: Match
    zone: str
    patch: Patch | None
    depth: TargetDepth | None
    raises: bool
    finding: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        d = self.match.as_dict()
        d.update({"zone": self.zone, "patch": None if self.patch is None else
                  {"ref": self.patch.ref, "state": self.patch.state,
                   "date": self.patch.date.isoformat() if self.patch.date else None,
                   "compensated_by": self.patch.compensated_by},
                  "depth": None if self.depth is None else {"layers": self.depth.depth, "policy": self.depth.policy,
                                                            "below_policy": self.depth.below_policy},
                  "raises_likelihood": self.raises, "finding": self.finding})
        return d


@dataclass
class Raise:
    scenario: str
    zone: str
    before: int
    after: int
    because: list[str]  # "asset ADVISORY (CVSS)"

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "zone": self.zone, "likelihood": self.before, "raised": self.after,
                "because": self.because}


@dataclass
class VulnerabilityReview:
    rows: list[Row]
    findings: list[dict[str, Any]]
    raises: list[Raise] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"affected": 0, "unknown": 0, "fixed": 0, "not_affected": 0}
        for r in self.rows:
            out[r.match.outcome] += 1
        return out


def patch_for(plant: Plant, m: Match) -> Patch | None:
    """The asset's patch entry for the advisory, else for one of its CVEs (the least advanced one)."""
    entries = plant.assets[m.asset].patches
    for p in entries:
        if p.advisory and p.advisory.upper() == m.advisory.id.upper():
            return p
    by_cve = [p for p in entries if p.cve and p.cve in m.cves]
    order = ("new", "evaluating", "deferred", "approved", "tested", "installed")
    return min(by_cve, key=lambda p: order.index(p.state)) if by_cve else None


def _compensated(plant: Plant, p: Patch) -> tuple[bool, list[str]]:
    """Whether a deferred patch has compensation in force, and the countermeasures that are not."""
    missing = [c for c in p.compensated_by if c not in plant.countermeasures
               or plant.countermeasures[c].status != "implemented"]
    return bool(p.compensated_by) and not missing, missing


def _severity(cvss: float | None) -> str:
    if cvss is None:
        return "medium"
    return "high" if cvss >= 7 else "medium" if cvss >= 4 else "low"


def review(plant: Plant, matches: list[Match], sl_targets: dict[str, list[int]]) -> VulnerabilityReview:
    policy = plant.risk.vulnerabilities if plant.risk else None
    critical_cvss = policy.critical_cvss if policy else 9.0
    min_cvss = policy.min_cvss if policy else 7.0
    affected = sorted({m.asset for m in matches if m.outcome == "affected" and m.asset in plant.assets})
    graph = AttackGraph(plant)
    depth = {t.asset: t for t in depths(plant, sl_targets, graph, affected)}
    rows: list[Row] = []
    findings: list[dict[str, Any]] = []
    seen: set[str] = set()
    for m in matches:
        asset = plant.assets.get(m.asset)
        if asset is None:
            continue
        patch = patch_for(plant, m)
        d = depth.get(m.asset)
        finding = None
        raises = False
        if m.outcome == "affected":
            installed = patch is not None and patch.state == "installed"
            compensated = patch is not None and patch.state == "deferred" and _compensated(plant, patch)[0]
            exposed = d is not None and d.below_policy
            fid = f"advisory:{m.asset}:{m.advisory.id}"
            cvss = f"CVSS {m.cvss}" if m.cvss is not None else "no CVSS"
            what = f"{m.asset} is affected by {m.advisory.id} ({cvss}, {', '.join(m.cves[:3])}" \
                   f"{' ...' if len(m.cves) > 3 else ''})"
            if not installed and m.cvss is not None and m.cvss >= critical_cvss and exposed:
                finding = {"id": fid, "severity": "critical",
                           "message": f"{what}, not patched, and an entry point reaches it through {d.depth} "
                                      f"layer(s) where the policy asks {d.policy}"}
            elif patch is None:
                finding = {"id": fid, "severity": _severity(m.cvss),
                           "message": f"{what} and has no patch entry: record its 62443-2-3 state"}
            raises = not installed and not compensated and (m.cvss or 0) >= min_cvss
            if installed:
                finding = {"id": f"patch-stale:{m.asset}:{patch.ref}", "severity": "low",
                           "message": f"{m.asset}: {patch.ref} is recorded installed, but the recorded firmware "
                                      f"{asset.firmware!r} is still affected: update the inventory or the state"}
        if finding and finding["id"] not in seen:
            seen.add(finding["id"])
            findings.append(finding)
        rows.append(Row(m, asset.zone, patch, d if m.outcome == "affected" else None, raises, finding))
    for aid, asset in plant.assets.items():
        for p in asset.patches:
            if p.state != "deferred":
                continue
            ok, missing = _compensated(plant, p)
            if not ok:
                why = "names no compensating countermeasure" if not p.compensated_by else \
                    f"relies on {', '.join(missing)}, not implemented"
                findings.append({"id": f"patch-deferred:{aid}:{p.ref}", "severity": "high",
                                 "message": f"{aid}: the deferred patch for {p.ref} {why}"})
    order = ("critical", "high", "medium", "low", "info")
    findings.sort(key=lambda f: (order.index(f["severity"]), f["id"]))
    return VulnerabilityReview(rows, findings, raised_scenarios(plant, rows))


def raised_scenarios(plant: Plant, rows: list[Row]) -> list[Raise]:
    if plant.risk is None:
        return []
    step = plant.risk.vulnerabilities.likelihood_raise
    top = plant.risk.matrix.likelihood
    because: dict[str, list[str]] = {}
    for r in rows:
        if r.raises:
            note = f"{r.match.asset} {r.match.advisory.id} ({r.match.cvss})"
            if note not in because.setdefault(r.zone, []):
                because[r.zone].append(note)
    out = []
    for s in plant.risk.scenarios:
        if s.zone in because and step:
            after = min(top, s.likelihood + step)
            if after != s.likelihood:
                out.append(Raise(s.id, s.zone, s.likelihood, after, because[s.zone]))
    return out


def with_raised_likelihood(plant: Plant, raises: list[Raise]) -> Plant:
    """A copy of the plant whose raised scenarios carry their new likelihood, for the risk assessment."""
    if not raises or plant.risk is None:
        return plant
    new = {r.scenario: r.after for r in raises}
    scenarios = [s.model_copy(update={"likelihood": new[s.id]}) if s.id in new else s for s in plant.risk.scenarios]
    out = plant.model_copy(update={"risk": plant.risk.model_copy(update={"scenarios": scenarios})})
    out._sources = plant._sources
    return out
