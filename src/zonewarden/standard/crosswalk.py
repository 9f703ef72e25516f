"""Crosswalks from IEC 62443 to the frameworks plants also answer to: NIST CSF 2.0, ISO/IEC 27001:2022
Annex A, NIST SP 800-53 rev. 5, NIS2 Art. 21(2) with (EU) 2024/2690, and CRA Annex I.

Packaged data (crosswalks/): a catalog per target framework (ids and our own short titles), the
official tables we compose (NIST's CSF 1.1 informative references to 62443-3-3, NIST's 1.1 -> 2.0
withdrawal notes, NIST's CSF 2.0 -> ISO 27001:2022 and -> SP 800-53 tables) and our curated edges.
No official 62443 crosswalk exists for these targets, so every edge says where it comes from
(`provenance`), how sure we are (`confidence`) and whether it was derived by composing tables
(`derived`, `via`). Relationships are NIST IR 8477's, read as "62443 item REL target item".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from .catalog import Catalog, normalize_id

FRAMEWORKS = ("csf", "iso27001", "800-53", "nis2", "cra")
RELATIONSHIPS = ("equal", "subset_of", "superset_of", "intersects_with")
CONFIDENCE = ("low", "medium", "high")  # ascending
CURATION = "zonewarden curation"
CSF11_CARRIED = "NIST CSF 1.1 informative references, carried to CSF 2.0"
# the kinds whose items a coverage view counts (the rest group them)
UNIT_KINDS = {"csf": ("subcategory",), "iso27001": ("control",), "800-53": ("control", "enhancement"),
              "nis2": ("measure",), "cra": ("requirement",)}
DETAIL_KINDS = {"nis2": ("section", "subsection")}  # shown below the units: the CIR (EU) 2024/2690 breakdown


@dataclass(frozen=True)
class TargetItem:
    """One id of a target framework with our short title; `parents` group it (a CIR section may detail two measures)."""

    framework: str
    id: str
    kind: str
    title: str
    parents: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"framework": self.framework, "id": self.id, "kind": self.kind, "title": self.title,
                "parents": list(self.parents)}


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    publisher: str
    version: str
    source: str
    licence: str
    note: str
    items: tuple[TargetItem, ...]
    _by_id: dict[str, TargetItem] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({canon_target(self.key, i.id): i for i in self.items})

    def find(self, tid: str) -> TargetItem | None:
        return self._by_id.get(canon_target(self.key, tid))

    def units(self) -> list[TargetItem]:
        return [i for i in self.items if i.kind in UNIT_KINDS[self.key]]

    def descendants(self, tid: str) -> list[str]:
        """Every item below `tid` (children, their children, ...), in catalog order."""
        below, frontier = set(), {tid}
        while frontier:
            nxt = {i.id for i in self.items if frontier.intersection(i.parents)} - below
            below |= nxt
            frontier = nxt
        return [i.id for i in self.items if i.id in below]

    def info(self) -> dict[str, str]:
        return {"framework": self.key, "name": self.name, "publisher": self.publisher, "version": self.version,
                "source": self.source, "licence": self.licence}


@dataclass(frozen=True)
class Edge:
    """62443 `source` REL `framework:target`; `via` names the intermediate ids of a derived edge."""

    source: str
    framework: str
    target: str
    relationship: str
    provenance: str
    confidence: str
    rationale: str
    derived: bool = False
    via: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.framework, self.target)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "framework": self.framework, "target": self.target,
                "relationship": self.relationship, "provenance": self.provenance, "confidence": self.confidence,
                "derived": self.derived, "via": list(self.via), "rationale": self.rationale}


@dataclass(frozen=True)
class NotCovered:
    framework: str
    target: str
    why: str


def canon_target(framework: str, tid: str) -> str:
    """Tolerant spelling of a target id: case and spaces; 800-53 'AC-02' -> 'AC-2'; NIS2 'Art. 21(2)(a)'."""
    t = "".join(str(tid).split())
    if framework == "800-53":
        head, _, enh = t.upper().partition("(")
        fam, _, num = head.partition("-")
        return f"{fam}-{int(num)}" + (f"({int(enh.rstrip(')'))})" if enh else "") if num.isdigit() else t.upper()
    if framework == "nis2":
        t = t.lower().removeprefix("art.").removeprefix("article")
        return ("CIR " + t[3:]) if t.startswith("cir") else t
    if framework == "cra":
        return _cra(t)
    if framework == "iso27001":
        t = t.upper()
        return "A." + t if t[:1].isdigit() else t
    return t.upper() if framework == "csf" else t


def _cra(t: str) -> str:
    t = t.removeprefix("Annex").removeprefix("annex")
    head, sep, rest = t.partition("(")
    return head.upper() + sep + rest.lower()


class Crosswalk:
    """Target catalogs, every edge (curated and composed) and the target items 62443 does not reach."""

    def __init__(self, frameworks: dict[str, Framework], edges: Iterable[Edge], not_covered: Iterable[NotCovered],
                 problems: Iterable[str] = ()) -> None:
        self.frameworks = frameworks
        self.edges: tuple[Edge, ...] = tuple(edges)
        self.not_covered = {(n.framework, canon_target(n.framework, n.target)): n for n in not_covered}
        self.problems = list(problems)  # found while loading (duplicate edges in the data); integrity() adds more
        self._from: dict[str, list[Edge]] = {}
        self._to: dict[tuple[str, str], list[Edge]] = {}
        for e in self.edges:
            self._from.setdefault(e.source, []).append(e)
            self._to.setdefault((e.framework, canon_target(e.framework, e.target)), []).append(e)

    def framework(self, key: str) -> Framework:
        return self.frameworks[key]

    def edges_from(self, source: str, framework: str | None = None) -> list[Edge]:
        return [e for e in self._from.get(normalize_id(source), []) if framework in (None, e.framework)]

    def edges_to(self, framework: str, target: str, *, below: bool = False) -> list[Edge]:
        """Edges to one item, and with `below` to every item under it (a NIS2 measure through its CIR sections)."""
        ids = [target] + (self.framework(framework).descendants(target) if below else [])
        return [e for t in ids for e in self._to.get((framework, canon_target(framework, t)), [])]

    def why_not(self, framework: str, target: str) -> str | None:
        n = self.not_covered.get((framework, canon_target(framework, target)))
        return n.why if n else None

    def integrity(self, catalog: Catalog) -> list[str]:
        """Every problem with the data: unknown ids on either end, bad relationships, duplicates, bare derivations."""
        out = list(self.problems)
        for e in self.edges:
            where = f"edge {e.source} -> {e.framework}:{e.target} ({e.provenance})"
            if catalog.find(e.source) is None or catalog.find(e.source).id != e.source:
                out.append(f"{where}: source {e.source!r} is not a catalog id")
            fw = self.frameworks.get(e.framework)
            if fw is None:
                out.append(f"{where}: unknown framework {e.framework!r}")
            elif fw.find(e.target) is None:
                out.append(f"{where}: target {e.target!r} is not in the {e.framework} catalog")
            if e.relationship not in RELATIONSHIPS:
                out.append(f"{where}: relationship {e.relationship!r} is not one of {', '.join(RELATIONSHIPS)}")
            if e.confidence not in CONFIDENCE:
                out.append(f"{where}: confidence {e.confidence!r} is not one of {', '.join(CONFIDENCE)}")
            if e.derived != bool(e.via):
                out.append(f"{where}: derived edges name what they were derived through, others name nothing")
            if not e.rationale.strip():
                out.append(f"{where}: no rationale")
        seen: set[tuple[str, str, str]] = set()
        for e in self.edges:
            if e.key in seen:
                out.append(f"duplicate edge {e.source} -> {e.framework}:{e.target}")
            seen.add(e.key)
        for fw in self.frameworks.values():
            ids = [i.id for i in fw.items]
            out += [f"{fw.key}: {i} listed twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
            out += [f"{fw.key}: {i.id} has unknown parent {p}" for i in fw.items for p in i.parents if not fw.find(p)]
        for (fw, tid), _ in self.not_covered.items():
            if fw not in self.frameworks or self.frameworks[fw].find(tid) is None:
                out.append(f"not_covered {fw}:{tid} is not in the {fw} catalog")
            elif self._to.get((fw, tid)):
                out.append(f"not_covered {fw}:{tid} has edges")
        return out


def compose(r1: str, r2: str) -> str:
    """NIST IR 8477 relationships along a path A r1 B r2 C: equal passes the other through, same-direction
    subset/superset chain, anything else only says the two ends share something."""
    if r1 == "equal":
        return r2
    if r2 == "equal" or r1 == r2:
        return r1
    return "intersects_with"


def _merge(edges: list[Edge], rationale: str) -> Edge:
    """One edge for every derivation path between the same ends: the union of what they went through, the
    relationship they agree on (else intersects_with) and the highest confidence any path earns."""
    first = edges[0]
    rels = {e.relationship for e in edges}
    via = tuple(dict.fromkeys(v for e in edges for v in e.via))
    conf = max((e.confidence for e in edges), key=CONFIDENCE.index)
    return Edge(first.source, first.framework, first.target, rels.pop() if len(rels) == 1 else "intersects_with",
                first.provenance, conf, rationale.format(via=", ".join(via)), True, via)


def _read(base: Any, name: str) -> dict[str, Any] | None:
    f = base / name
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


def _framework(doc: dict[str, Any]) -> Framework:
    key = doc["framework"]
    items = tuple(TargetItem(key, i["id"], i["kind"], i["title"], tuple(i.get("parents") or ())) for i in doc["items"])
    return Framework(key, doc["name"], doc["publisher"], doc["version"], doc["source"], doc["licence"],
                     doc.get("note", ""), items)


def _carried_csf11(doc: dict[str, Any], transitions: dict[str, Any]) -> list[Edge]:
    """NIST's CSF 1.1 references to 62443-3-3 SRs, followed to CSF 2.0 along NIST's withdrawal notes.
    The 1.1 references state no relationship: intersects_with. A reference to an outcome that CSF 2.0 kept or
    moved keeps medium confidence; one folded into a broader outcome ("incorporated") is low."""
    paths: dict[tuple[str, str, str], list[Edge]] = {}
    for sub11, refs in doc["references"].items():
        for sr in refs.get("62443-3-3:2013", []):
            source = normalize_id(sr)
            for step in transitions.get(sub11, []):
                conf = "low" if step["kind"] == "incorporated" else "medium"
                e = Edge(source, "csf", step["to"], "intersects_with", CSF11_CARRIED, conf, "", True,
                         (f"CSF 1.1 {sub11}",))
                paths.setdefault(e.key, []).append(e)
    return [_merge(v, f"NIST CSF 1.1 cites {k[0]} for {{via}}; CSF 2.0 carries that to {k[2]}")
            for k, v in paths.items()]


def _through_csf(first: list[Edge], table: dict[str, Any], framework: str) -> list[Edge]:
    """62443 -> CSF 2.0 edges composed with one of NIST's CSF 2.0 tables (-> ISO 27001:2022, -> SP 800-53r5):
    derived and always low confidence, so they widen a view only when asked (--min-confidence low)."""
    by_csf: dict[str, list[dict[str, Any]]] = {}
    for row in table["mapping"]:
        by_csf.setdefault(row["csf"], []).append(row)
    provenance = f"composition: CSF 2.0 edge + {table['title']}"
    paths: dict[tuple[str, str, str], list[Edge]] = {}
    for e in first:
        for row in by_csf.get(e.target, []):
            target = canon_target(framework, row["target"])
            rel = compose(e.relationship, row.get("relationship", "intersects_with"))
            conf = "low"  # two hops, at least one of them a judgement: shown only with --min-confidence low
            d = Edge(e.source, framework, target, rel, provenance, conf, "", True, (f"CSF 2.0 {e.target}",))
            paths.setdefault(d.key, []).append(d)
    return [_merge(v, f"{k[0]} reaches {k[2]} via {{via}} ({table['publisher']} table)") for k, v in paths.items()]


@cache
def load_crosswalk() -> Crosswalk:
    """The packaged crosswalk, composed once per process. Curated edges win over composed ones between the
    same ends; composition starts from curated and official edges only (no chains of derivations)."""
    base = resources.files("zonewarden.standard") / "crosswalks"
    frameworks = {}
    for key in FRAMEWORKS:
        doc = _read(base / "frameworks", f"{key}.json")
        if doc is not None:
            frameworks[key] = _framework(doc)
    problems: list[str] = []
    curated: list[Edge] = []
    not_covered: list[NotCovered] = []
    for f in sorted((base / "edges").iterdir(), key=lambda p: p.name):
        if not f.name.endswith(".json"):
            continue
        doc = json.loads(f.read_text(encoding="utf-8"))
        for i, e in enumerate(doc.get("edges", [])):
            fw = e["framework"]
            curated.append(Edge(normalize_id(e["source"]), fw, e["target"], e["relationship"],
                                doc.get("provenance", CURATION), e["confidence"], e.get("rationale", "")))
            if e["source"] != curated[-1].source:
                problems.append(f"{f.name} edge {i}: write the source as {curated[-1].source!r}, not {e['source']!r}")
        not_covered += [NotCovered(n["framework"], n["target"], n["why"]) for n in doc.get("not_covered", [])]
    taken = {e.key for e in curated}
    edges = list(curated)
    refs, trans = _read(base / "sources", "csf-1.1-62443.json"), _read(base / "sources", "csf-1.1-to-2.0.json")
    carried = [e for e in _carried_csf11(refs, trans["transitions"])] if refs and trans else []
    edges += [e for e in carried if e.key not in taken]
    taken |= {e.key for e in carried}
    csf_edges = [e for e in edges if e.framework == "csf"]
    for name, fw in (("csf-2.0-iso27001-2022.json", "iso27001"), ("csf-2.0-800-53r5.json", "800-53")):
        table = _read(base / "sources", name)
        if table is None:
            continue
        for e in _through_csf(csf_edges, table, fw):
            if e.key not in taken:
                edges.append(e)
                taken.add(e.key)
    return Crosswalk(frameworks, edges, not_covered, problems)


def sources_info() -> list[dict[str, str]]:
    """Publisher, title, source and licence of each official table the composition used (for reports)."""
    base = resources.files("zonewarden.standard") / "crosswalks" / "sources"
    out = []
    for f in sorted(base.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".json"):
            doc = json.loads(f.read_text(encoding="utf-8"))
            out.append({k: doc.get(k, "") for k in ("publisher", "title", "source", "licence")})
    return out
