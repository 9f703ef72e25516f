"""Management of change: who must approve a change, what to verify before and after it, and how to roll it back.

The record is derived from the semantic diff and the impact, never written by hand: the asset owner
always approves (N/A decisions and the scope of the system under consideration are theirs); the integrator
when conduits, flow rules or countermeasures change; a product supplier when the capability claims of its
components change (a firmware update included, since the claim was made for the old firmware). A firmware
change that re-opens a certificate is a required step: re-certify or re-assess, with the SL-C the asset
counts at until then. Validated plants (`plant.validated`) get the verification steps as required,
signed steps. docs/change.md#the-change-record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.plant import Plant
from .diff import Change
from .impact import Impact


@dataclass
class Commit:
    """One commit of the change, as the repository tells it (the why of the change)."""

    sha: str
    author: str
    date: str
    subject: str
    body: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"sha": self.sha, "author": self.author, "date": self.date, "subject": self.subject, "body": self.body}


@dataclass
class Approval:
    role: str
    kind: str
    name: str
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "kind": self.kind, "name": self.name, "why": self.why}


@dataclass
class ChangeRecord:
    title: str
    plant: str
    validated: bool
    base: dict[str, Any]  # the revision the change starts from: spec, commit, path
    head: dict[str, Any]  # ... and the one it ends at
    commits: list[Commit]
    uncommitted: list[str]  # files changed in the working tree but not committed
    impact: Impact
    approvals: list[Approval]
    before: list[str]  # verification before the change is made
    after: list[str]  # verification once it is made
    rollback: list[str]
    fingerprints: dict[str, str] = field(default_factory=dict)  # base/head -> sha256 of the plant content

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "plant": self.plant, "validated": self.validated, "from": self.base,
                "to": self.head, "fingerprints": self.fingerprints,
                "commits": [c.as_dict() for c in self.commits], "uncommitted": self.uncommitted,
                "changes": self.impact.diff.as_dict(), "impact": self.impact.as_dict(),
                "approvals": [a.as_dict() for a in self.approvals],
                "verification": {"before": self.before, "after": self.after}, "rollback": self.rollback}


def approvals(impact: Impact, old: Plant, new: Plant) -> list[Approval]:
    """The roles that must approve, in the order they sign: asset owner, integrators, suppliers."""
    changes = impact.diff.changes
    roles = {**old.roles, **new.roles}
    out: list[Approval] = []
    owners = [new.plant.owner] if new.plant.owner in new.roles else [r for r, v in new.roles.items()
                                                                       if v.kind == "asset_owner"]
    owns = [f"N/A decision {c.id.split('#')[0]} {c.action}" for c in changes if c.kind == "applicability"]
    owns += [f"zone {d.id} {'leaves' if d.presence == 'left-suc' else 'joins'} the system under consideration"
             for d in impact.zones if d.presence in ("left-suc", "joined-suc")]
    for rid in owners:
        out.append(Approval(rid, "asset_owner", roles[rid].name, "approves every change, its impact and residual "
                            "risk" + (f"; and decides: {', '.join(owns)}" if owns else "")))
    network = [c for c in changes if c.kind in ("conduit", "flow", "countermeasure")]
    if network:
        named = {owner for c in network for side in (c.old, c.new) if side and (owner := _owner(c, side, new, old))}
        integrators = [r for r in sorted(named) if r in roles and roles[r].kind == "integrator"] or \
            [r for r, v in roles.items() if v.kind == "integrator"]
        what = ", ".join(dict.fromkeys(f"{c.kind} {c.parent + ':' if c.kind == 'flow' else ''}"
                                       f"{c.id.split(':', 1)[-1] if c.kind == 'flow' else c.id}" for c in network))
        for rid in integrators:
            out.append(Approval(rid, "integrator", roles[rid].name, f"conduits or countermeasures change: {what}"))
    claims: dict[str, list[str]] = {}
    for c in changes:
        if c.kind != "asset":
            continue
        asset = new.assets.get(c.id) or old.assets.get(c.id)
        if asset is None or not asset.supplier:
            continue
        if c.action == "added" and asset.capability is not None:
            claims.setdefault(asset.supplier, []).append(f"{c.id} (new, claims {_claim(asset)})")
        elif c.action == "changed" and (f := c.find("firmware")):
            cert = next((f"; its certificate does not cover {f.new}" for d in impact.capabilities
                         if d.asset == c.id and d.reopened), "")
            claims.setdefault(asset.supplier, []).append(f"{c.id} (firmware {f.old} -> {f.new}{cert})")
        elif c.action == "changed" and c.find("capability"):
            claims.setdefault(asset.supplier, []).append(f"{c.id} (capability claims changed)")
    for rid, what in claims.items():
        if rid in roles:
            out.append(Approval(rid, roles[rid].kind, roles[rid].name,
                                "confirms the capability claims of its components still hold: " + ", ".join(what)))
    return out


def _owner(c: Change, side: dict[str, Any], new: Plant, old: Plant) -> str | None:
    if c.kind == "flow" and c.parent:
        conduit = new.conduits.get(c.parent) or old.conduits.get(c.parent)
        return conduit.owner if conduit else None
    return side.get("owner")


def _claim(asset: Any) -> str:
    cap = asset.capability
    return str(cap.sl) if cap.sl is not None else cap.certificate or ", ".join(cap.meets)


def verification(impact: Impact, new: Plant, plant_arg: str) -> tuple[list[str], list[str]]:
    """Activities before the change is made and after it, from what it changes."""
    d = impact.diff
    before = [f"Review this impact with the approvers: {_summary(impact)}."]
    after = [f"`zonewarden check {plant_arg}` and `zonewarden assess {plant_arg}` on the approved revision show "
             "exactly the gaps and findings of this record."]
    if new.plant.validated:
        before.insert(0, "Classify the change (impact on validated state) and have quality assurance approve the "
                         "test plan below before execution.")
    for c in d.of("asset", "changed"):
        if f := c.find("firmware"):
            before.append(f"Keep the {c.id} firmware image {f.old} and a backup of its program and configuration; "
                          f"test firmware {f.new} on a spare or staging unit first.")
            after.append(f"Confirm {c.id} runs firmware {f.new} and its program matches the approved version.")
        if (f := c.find("lifecycle")) and f.new in ("decommissioning", "decommissioned"):
            after.append(f"Complete the decommissioning checklist of {c.id}: credentials and certificates revoked, "
                         "data erased (CR 4.2), removed from every flow rule, addresses released; then confirm it "
                         "no longer appears in traffic (`zonewarden traffic`).")
    conduits = sorted({c.parent for c in d.of("flow") if c.parent} | {c.id for c in d.of("conduit")
                                                                      if c.action != "removed"})
    if conduits:
        before.append(f"Peer-review the firewall and switch configuration against the flow rules of "
                      f"{', '.join(conduits)}.")
        after.append(f"Capture traffic on {', '.join(conduits)} and run `zonewarden traffic {plant_arg} CAPTURE`: "
                     "no flow outside the rules, and no allowed flow missing.")
    for cap in impact.capabilities:
        if not cap.reopened:
            continue
        asset = new.assets[cap.asset]
        supplier = new.roles[asset.supplier].name if asset.supplier in new.roles else "its supplier"
        before.append(f"Ask {supplier} whether the certificate of {cap.asset} covers firmware {asset.firmware}, or "
                      "plan its re-certification or a re-assessment.")
        after.append(f"Required: re-certify {cap.asset} for firmware {asset.firmware}, or re-assess it against the "
                     f"capability items listed under Verify again ({cap.reopened}); until then it counts at SL-C "
                     f"{cap.sl[1]} ({cap.source[1]}) instead of {cap.sl[0]} ({cap.source[0]}).")
    for z in impact.zones:
        if z.presence == "left-suc":
            before.append(f"The asset owner confirms that zone {z.id} lies outside the system under consideration "
                          f"and records the assumptions about it; {len(z.gaps_closed)} gap(s) leave the assessment.")
        elif z.presence == "joined-suc":
            after.append(f"Assess zone {z.id} as part of the system under consideration: its SL-T {z.sl_target[1]}, "
                         f"its countermeasures and its {len(z.gaps_opened)} gap(s).")
    for c in d.of("applicability"):
        entry = c.new or {}
        if c.action != "removed" and entry.get("not_applicable", True):
            who = f"approved by {entry['approved_by']}" if entry.get("approved_by") else \
                "NOT approved (it does not count)"
            when = f" on {entry['approved_on']}" if entry.get("approved_on") else ""
            after.append(f"File the N/A decision of {c.id.split(':', 1)[1].split('#')[0]} at {entry.get('at')} "
                         f"{c.parent} with its justification ({entry.get('justification')}), {who}{when}, and its "
                         f"evidence ({entry.get('evidence') or 'none recorded'}).")
    for r in impact.reverify:
        after.append(f"Verify on {r.scope} {r.where}: {', '.join(r.requirements)} ({r.reason}).")
    for c in d.of("compensation", "removed"):
        asset, _, req = c.id.partition(":")
        after.append(f"Record in the tracking file how {req} for {asset} is now met, or accept the reopened gap.")
    if new.plant.validated:
        after.append("Attach the executed test evidence and any deviations; quality assurance releases the change.")
    return before, after


def _summary(impact: Impact) -> str:
    counts = {k: v for k, v in impact.counts().items() if v and k != "info"}
    parts = [f"{n} {sev}" for sev, n in counts.items()]
    return (", ".join(parts) + " effects") if parts else "no effect above info"


def rollback(impact: Impact, base: str, plant_path: str) -> list[str]:
    """How to go back: the model from the base revision, and for each change what to undo on the plant."""
    out = [f"Model: `git revert` the change's commits, or `git checkout {base} -- {plant_path}`, and run "
           f"`zonewarden diff git:{base} {plant_path}` to confirm nothing is left."]
    for c in impact.diff.changes:
        if c.kind == "conduit" and c.action == "added":
            out.append(f"Remove conduit {c.id}: its cabling or VLAN and the firewall rules that open it.")
        elif c.kind == "conduit" and c.action == "removed":
            out.append(f"Restore conduit {c.id} and its firewall rules as they were at {base}.")
        elif c.kind == "flow" and not impact.diff.get("conduit", c.parent or ""):
            rule = c.id.split(":", 1)[1]
            verb = {"added": "Remove", "removed": "Restore", "changed": "Set back"}[c.action]
            out.append(f"{verb} the firewall rule of {c.parent} for {rule}.")
        elif c.kind == "asset" and c.action == "changed":
            if f := c.find("firmware"):
                out.append(f"Reinstall firmware {f.old} on {c.id} from the kept image and restore its configuration "
                           "backup.")
            if (f := c.find("lifecycle")) and f.new in ("decommissioning", "decommissioned"):
                out.append(f"{c.id}: once its data is erased and credentials revoked it cannot return as it was; "
                           "bring it back only through commissioning as a new asset.")
            rest = [x.field for x in c.fields if x.field.split(".")[0] not in ("firmware", "lifecycle")]
            if rest:
                out.append(f"Set back {', '.join(rest)} of {c.id} to their values at {base}.")
        elif c.kind == "compensation" and c.action == "removed":
            asset, _, req = c.id.partition(":")
            out.append(f"Restore the compensation of {req} for {asset}; the asset owner approves it again.")
        elif c.kind == "applicability":
            side = c.new or c.old or {}
            what = f"the N/A decision of {c.id.split(':', 1)[1].split('#')[0]} at {side.get('at')} {c.parent}"
            out.append({"added": f"Withdraw {what}.",
                        "removed": f"Restore {what}; the asset owner approves it again.",
                        "changed": f"Set back {what} to its state at {base}."}[c.action])
        elif c.kind == "zone" and c.action == "changed":
            moved = next((d for d in impact.zones if d.id == c.id and d.presence in ("left-suc", "joined-suc")), None)
            back = "" if moved is None else " (it returns to the system under consideration)" \
                if moved.presence == "left-suc" else " (it leaves the system under consideration again)"
            out.append(f"Set back {', '.join(f.field for f in c.fields)} of zone {c.id} to their values at {base}"
                       f"{back}.")
        elif c.kind == "countermeasure" and c.action == "added":
            out.append(f"Remove countermeasure {c.id}, or return its device to the configuration kept before.")
        elif c.kind == "countermeasure":
            out.append(f"Return countermeasure {c.id} to its configuration at {base}.")
    return out
