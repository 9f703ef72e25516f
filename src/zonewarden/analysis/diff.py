"""Semantic diff of two plants: what was added, removed or changed, by id, never by line.

Moving a zone to another file, reordering keys or rewording a comment is no change; a new flow rule,
a firmware update or a lifted compensation is. Flow rules have no ids, so a rule is known by what it
joins (scope, from, to, protocol, ports): the same key with other ops or direction is a changed rule.
Compensations are known by asset and requirement, scenarios by id, applicability decisions (N/A) by the zone
or conduit that records them and their requirement. Lists of names (meets, addresses, networks) compare as
sets and report what was added and removed; SL vectors compare as values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.plant import FlowRule, Plant
from ..standard.catalog import normalize_id

ACTIONS = ("added", "removed", "changed")
KINDS = ("plant", "role", "zone", "conduit", "applicability", "flow", "asset", "countermeasure", "compensation",
         "scenario", "risk", "crs")
VECTOR_FIELDS = frozenset({"sl", "sl_target", "baseline"})  # ordered lists: the 7 FRs


@dataclass
class FieldChange:
    field: str  # dotted path inside the element: firmware, capability.meets, consequence.safety
    old: Any
    new: Any
    added: list[Any] | None = None  # for lists of names: what is new ...
    removed: list[Any] | None = None  # ... and what is gone

    def as_dict(self) -> dict[str, Any]:
        d = {"field": self.field, "old": self.old, "new": self.new}
        if self.added is not None:
            d |= {"added": self.added, "removed": self.removed}
        return d

    def describe(self) -> str:
        if self.added is not None:
            parts = [f"+{', +'.join(map(str, self.added))}" if self.added else "",
                     f"-{', -'.join(map(str, self.removed or []))}" if self.removed else ""]
            return f"{self.field} " + " ".join(p for p in parts if p)
        return f"{self.field} {_show(self.old)} -> {_show(self.new)}"


@dataclass
class Change:
    kind: str  # one of KINDS
    id: str
    action: str  # added | removed | changed
    fields: list[FieldChange] = field(default_factory=list)
    old: dict[str, Any] | None = None  # the element as it was (None when added)
    new: dict[str, Any] | None = None  # ... and as it is (None when removed)
    parent: str | None = None  # a flow rule's or an applicability decision's conduit or zone

    def find(self, name: str) -> FieldChange | None:
        return next((f for f in self.fields if f.field == name or f.field.startswith(name + ".")), None)

    def touches(self, *names: str) -> bool:
        return any(self.find(n) is not None for n in names)

    def describe(self) -> str:
        head = f"{self.kind} {self.id} {self.action}"
        return head + (": " + "; ".join(f.describe() for f in self.fields) if self.fields else "")

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "id": self.id, "action": self.action}
        if self.parent:
            d["parent"] = self.parent
        if self.fields:
            d["fields"] = [f.as_dict() for f in self.fields]
        if self.action == "added":
            d["new"] = self.new
        elif self.action == "removed":
            d["old"] = self.old
        return d


@dataclass
class PlantDiff:
    changes: list[Change]

    def of(self, kind: str, action: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.kind == kind and (action is None or c.action == action)]

    def get(self, kind: str, id: str) -> Change | None:
        return next((c for c in self.changes if c.kind == kind and c.id == id), None)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            out.setdefault(c.kind, dict.fromkeys(ACTIONS, 0))[c.action] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts(), "changes": [c.as_dict() for c in self.changes]}


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list) and all(isinstance(v, int) for v in value) and len(value) == 7:
        return "{" + " ".join(map(str, value)) + "}"
    return str(value)


def _scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def _key(v: Any) -> str:
    return f"{type(v).__name__}:{v}"


def field_changes(old: Any, new: Any, prefix: str = "") -> list[FieldChange]:
    """Leaf-level differences of two dumped elements; mappings recurse, lists of names compare as sets."""
    if old == new:
        return []
    name = prefix.rsplit(".", 1)[-1]
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in [*old, *(k for k in new if k not in old)]:
            out += field_changes(old.get(k), new.get(k), f"{prefix}.{k}" if prefix else str(k))
        return out
    if _scalar_list(old) and _scalar_list(new) and name not in VECTOR_FIELDS:
        was, now = {_key(v): v for v in old}, {_key(v): v for v in new}
        if was.keys() == now.keys():
            return []  # reordered: no change
        return [FieldChange(prefix, old, new, [now[k] for k in now if k not in was],
                            [was[k] for k in was if k not in now])]
    if ((old in (None, []) and _scalar_list(new)) or (new in (None, []) and _scalar_list(old))) \
            and name not in VECTOR_FIELDS:
        return [FieldChange(prefix, old, new, list(new or []), list(old or []))]
    return [FieldChange(prefix, old, new)]


def _mapping(kind: str, old: dict[str, Any], new: dict[str, Any], skip: tuple[str, ...] = ()) -> list[Change]:
    out = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key), new.get(key)
        if a is not None:
            a = {k: v for k, v in a.items() if k not in skip}
        if b is not None:
            b = {k: v for k, v in b.items() if k not in skip}
        if a is None:
            out.append(Change(kind, key, "added", new=b))
        elif b is None:
            out.append(Change(kind, key, "removed", old=a))
        elif fields := field_changes(a, b):
            out.append(Change(kind, key, "changed", fields, a, b))
    return out


def flow_key(scope: str, rule: FlowRule) -> str:
    """What a rule joins, as its id in a diff: `conduit-id:from>to/protocol/ports` (ops and direction are
    what may change about it)."""
    ports = ",".join(map(str, sorted(rule.ports))) or "any"
    return f"{scope}:{rule.from_}>{rule.to}/{rule.protocol or 'any'}/{ports}"


def _flows(plant: Plant) -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for scope, rules in [*((cid, c.flows) for cid, c in plant.conduits.items()),
                         *((zid, z.flows) for zid, z in plant.zones.items())]:
        for rule in rules:
            key = flow_key(scope, rule)
            n, unique = 2, key
            while unique in out:  # the same rule written twice: keep both apart
                unique, n = f"{key}#{n}", n + 1
            out[unique] = (scope, rule.model_dump(mode="json", by_alias=True, exclude_none=True))
    return out


def _decisions(plant: Plant) -> dict[str, tuple[str, dict[str, Any]]]:
    """Applicability decisions by `zone-or-conduit:requirement` (the requirement as the catalog writes it); each
    entry says where it is recorded (`at`: zone or conduit)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for at, owners in (("zone", plant.zones), ("conduit", plant.conduits)):
        for oid, o in owners.items():
            for d in o.applicability:
                key = f"{oid}:{normalize_id(d.requirement)}"
                n, unique = 2, key
                while unique in out:  # the same requirement decided twice: keep both apart
                    unique, n = f"{key}#{n}", n + 1
                out[unique] = (oid, {"at": at, **d.model_dump(mode="json", by_alias=True, exclude_none=True)})
    return out


def _keyed(kind: str, was: dict[str, tuple[str, dict[str, Any]]], now: dict[str, tuple[str, dict[str, Any]]]
           ) -> list[Change]:
    out = []
    for key in [*was, *(k for k in now if k not in was)]:
        if key not in now:
            out.append(Change(kind, key, "removed", old=was[key][1], parent=was[key][0]))
        elif key not in was:
            out.append(Change(kind, key, "added", new=now[key][1], parent=now[key][0]))
        elif fields := field_changes(was[key][1], now[key][1]):
            out.append(Change(kind, key, "changed", fields, was[key][1], now[key][1], parent=now[key][0]))
    return out


def diff(old: Plant, new: Plant) -> PlantDiff:
    """Every semantic difference between two valid plants, in the order of the format's sections."""
    a = old.model_dump(mode="json", by_alias=True)
    b = new.model_dump(mode="json", by_alias=True)
    changes: list[Change] = []
    if fields := field_changes(a["plant"], b["plant"]):
        changes.append(Change("plant", "plant", "changed", fields, a["plant"], b["plant"]))
    changes += _mapping("role", a["roles"], b["roles"])
    changes += _mapping("zone", a["zones"], b["zones"], skip=("flows", "applicability"))
    changes += _mapping("conduit", a["conduits"], b["conduits"], skip=("flows", "applicability"))
    changes += _keyed("applicability", _decisions(old), _decisions(new))
    changes += _keyed("flow", _flows(old), _flows(new))
    changes += _mapping("asset", a["assets"], b["assets"])
    changes += _mapping("countermeasure", a["countermeasures"], b["countermeasures"])
    changes += _mapping("compensation", {f"{c['asset']}:{c['requirement']}": c for c in a["compensations"]},
                        {f"{c['asset']}:{c['requirement']}": c for c in b["compensations"]})
    ra, rb = a["risk"] or {}, b["risk"] or {}
    changes += _mapping("scenario", {s["id"]: s for s in ra.get("scenarios", [])},
                        {s["id"]: s for s in rb.get("scenarios", [])})
    rest_a = {k: v for k, v in ra.items() if k != "scenarios"}
    rest_b = {k: v for k, v in rb.items() if k != "scenarios"}
    if fields := field_changes(rest_a, rest_b):
        changes.append(Change("risk", "risk", "changed", fields, rest_a, rest_b))
    if fields := field_changes(a["crs"] or {}, b["crs"] or {}):
        changes.append(Change("crs", "crs", "changed", fields, a["crs"], b["crs"]))
    return PlantDiff(changes)
