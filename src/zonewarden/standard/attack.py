"""MITRE ATT&CK for ICS, as far as the assessment needs it: technique -> mitigations -> 62443 ids -> FRs.

The packaged extract (attack/ics-attack.json, with MITRE's notice) is regenerated from a newer
bundle by scripts/update_attack.py. A mitigation's IEC 62443 labels name 3-3 SRs and 4-2 CRs;
a CR stands for its 3-3 counterpart here, so every technique maps to 3-3 requirements and FRs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..model.sl import FRS
from .catalog import Catalog, load_catalog, system_counterparts


@dataclass(frozen=True)
class Mitigation:
    id: str
    name: str
    iec62443: tuple[str, ...]


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    tactics: tuple[str, ...]
    mitigations: tuple[str, ...]
    assets: tuple[str, ...]


class Attack:
    """The extract, with the derived technique -> 3-3 requirement -> FR maps."""

    def __init__(self, data: dict, catalog: Catalog) -> None:
        self.version: str = data["source"]["version"]
        self.notice: str = data["notice"]
        self.techniques = {t["id"]: Technique(t["id"], t["name"], tuple(t["tactics"]), tuple(t["mitigations"]),
                                              tuple(t["assets"])) for t in data["techniques"]}
        self.mitigations = {m["id"]: Mitigation(m["id"], m["name"], tuple(m["iec62443"]))
                            for m in data["mitigations"]}
        self._requirements: dict[str, frozenset[str]] = {}
        for tid, t in self.techniques.items():
            reqs = set()
            for mid in t.mitigations:
                for label in self.mitigations[mid].iec62443:
                    reqs.update(system_counterparts(label, catalog))
            self._requirements[tid] = frozenset(reqs)
        self._catalog = catalog

    def requirements(self, technique: str) -> frozenset[str]:
        """3-3 requirement ids whose satisfaction mitigates the technique (empty for unknown ids)."""
        return self._requirements.get(technique, frozenset())

    def frs(self, technique: str) -> frozenset[str]:
        """The FRs a technique touches: those of the 3-3 requirements that mitigate it."""
        return frozenset(fr for r in self.requirements(technique)
                         if (fr := self._catalog.get(r).fr) is not None and fr in FRS)

    def techniques_mitigated_by(self, requirement: str) -> frozenset[str]:
        return frozenset(t for t, reqs in self._requirements.items() if requirement in reqs)


@cache
def load_attack() -> Attack:
    base = resources.files("zonewarden.standard") / "attack" / "ics-attack.json"
    return Attack(json.loads(base.read_text(encoding="utf-8")), load_catalog())
