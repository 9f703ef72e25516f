"""The IEC 62443 requirement catalogs as data: ids, short titles, levels, component types, guidance.

Packaged JSON files (one per part) carry facts only: the id as the standard writes it, the short
title, the lowest SL (or ML) at which an item is required, and a one-line guidance of our own.
Cells that public sources disagree on carry a `flag` and an `alternative_level`; an edition or
an explicit override flips them. Sources and caveats: docs/catalogs.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cache, lru_cache
from importlib import resources
from typing import Any

PARTS = ("3-3", "4-2", "4-1", "2-1", "2-4", "3-2")
COMPONENT_TYPES = ("embedded_device", "host_device", "network_device", "software_application")
TYPE_PREFIX = {"SAR": "software_application", "EDR": "embedded_device", "HDR": "host_device",
               "NDR": "network_device"}
DEFAULT_EDITION = "2013+COR1:2014"


@dataclass(frozen=True)
class Requirement:
    """One catalog item. `level` is the lowest SL (ML for 2-1, 2-4, 4-1) at which it is required."""

    id: str
    part: str
    title: str
    level: int | None
    fr: str | None = None
    types: tuple[str, ...] = ()
    parent: str | None = None
    kind: str = "requirement"
    guidance: str = ""
    confidence: str = "high"
    flag: str | None = None
    alternative_level: int | None = None
    variants: tuple[str, ...] = ()
    group: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["types"] = list(self.types)
        d["variants"] = list(self.variants)
        return d


@dataclass(frozen=True)
class PartInfo:
    part: str
    standard: str
    title: str
    scale: str | None
    note: str
    editions: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


class UnknownRequirement(KeyError):
    pass


@lru_cache(maxsize=8192)
def normalize_id(text: str) -> str:
    """Canonical form of a requirement id: 'SR 1.1(1)', 'SR 1.1 RE1', 'NDR1.6RE1' -> 'SR 1.1 RE 1' ..."""
    t = " ".join(str(text).strip().split())
    m = re.fullmatch(r"(SR|CR|SAR|EDR|HDR|NDR)\s*(\d+)\.(\d+)\s*(?:(?:RE\s*\(?\s*(\d+)\s*\)?)|\(\s*(\d+)\s*\))?",
                     t, flags=re.IGNORECASE)
    if m:
        prefix, a, b, re1, re2 = m.groups()
        base = f"{prefix.upper()} {int(a)}.{int(b)}"
        n = re1 or re2
        return f"{base} RE {int(n)}" if n else base
    # 4-1 practices; SR/SD/SI need '-' or '.', so that 'SR 5' (a 3-3 typo) is not read as 4-1 SR-5
    m = re.fullmatch(r"(SM|SVV|DM|SUM|SG)[-.\s]?(\d+)|(SR|SD|SI)[-.](\d+)", t, flags=re.IGNORECASE)
    if m:
        prefix, n = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return f"{prefix.upper()}-{int(n)}"
    m = re.fullmatch(r"(ZCR|ORG|CM|NET|COMP|DATA|USER|EVENT|AVAIL)\s*(\d+)\.(\d+)", t, flags=re.IGNORECASE)
    if m:
        return f"{m.group(1).upper()} {int(m.group(2))}.{int(m.group(3))}"
    m = re.fullmatch(r"SP\s*\.?\s*(\d{1,2})(?:\.(\d{1,2})\s*(BR|RE\s*\d+)?)?", t, flags=re.IGNORECASE)
    if m:
        area = f"SP.{int(m.group(1)):02d}"
        if m.group(2) is None:
            return area
        suffix = (m.group(3) or "").upper().replace(" ", "")
        return f"SP{int(m.group(1)):02d}.{int(m.group(2)):02d}{suffix}"
    return t


# 4-2 numbers whose 3-3 counterpart is not the item of the same number (compared by title,
# docs/catalogs.md#counterparts). Every other 4-2 number stands for the 3-3 item of the same number.
COMPONENT_TO_SYSTEM: dict[str, tuple[str, ...]] = {
    "1.1 RE 2": ("1.1 RE 2", "1.1 RE 3"),  # MFA for all interfaces: untrusted networks and all networks
    "3.2 RE 1": (),  # HDR 3.2 RE 1 report version of code protection: no 3-3 enhancement
    "3.3 RE 1": ("3.3 RE 2",),  # verification during normal operation
    "3.4 RE 1": (),  # authenticity of software and information: no 3-3 enhancement
    "3.4 RE 2": ("3.4 RE 1",),  # automated notification of integrity violations
    "4.2 RE 2": (),  # erase verification: no 3-3 enhancement
}
_NUMBER = re.compile(r"^(SR|CR|SAR|EDR|HDR|NDR) (\d+\.\d+(?: RE \d+)?)$")


@lru_cache(maxsize=8192)
def split_id(rid: str) -> tuple[str, str] | None:
    """'EDR 2.4 RE 1' -> ('EDR', '2.4 RE 1'): the prefix and the FR.SR[ RE n] number 3-3 and 4-2 ids share."""
    m = _NUMBER.match(normalize_id(rid))
    return (m.group(1), m.group(2)) if m else None


def system_numbers(rid: str, catalog: Catalog) -> tuple[str, ...]:
    """The 3-3 numbers an id stands for in a zone (design §4: a 4-2 id stands for its 3-3 counterpart)."""
    parts = split_id(rid)
    if parts is None:
        return ()
    prefix, num = parts
    nums = (num,) if prefix == "SR" else COMPONENT_TO_SYSTEM.get(num, (num,))
    return tuple(n for n in nums if f"SR {n}" in catalog._by_id)


def system_counterparts(rid: str, catalog: Catalog) -> tuple[str, ...]:
    """The 3-3 ids an id stands for: SR ids as they are; CR/EDR/HDR/NDR/SAR ids through their counterparts."""
    return tuple(f"SR {n}" for n in system_numbers(rid, catalog))


def component_numbers(rid: str, catalog: Catalog) -> tuple[str, ...]:
    """The 4-2 numbers an id stands for on a component: 4-2 ids as they are; SR ids through the counterparts."""
    parts = split_id(rid)
    if parts is None:
        return ()
    prefix, num = parts
    if prefix != "SR":
        return (num,)
    return tuple(m for m in catalog.component_numbers() if num in system_numbers(f"CR {m}", catalog))


class Catalog:
    """All parts, indexed by canonical id; filtered views for a level, an FR and a component type."""

    def __init__(self, items: Iterable[Requirement], parts: Mapping[str, PartInfo]) -> None:
        self.items: tuple[Requirement, ...] = tuple(items)
        self.parts = dict(parts)
        self._by_id = {r.id: r for r in self.items}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, rid: str) -> bool:
        return self.find(rid) is not None

    @cache  # noqa: B019 - one Catalog per edition, kept for the process
    def component_numbers(self) -> tuple[str, ...]:
        """Every 4-2 number (generic CR and per-type variants share numbers)."""
        return tuple(sorted({p[1] for r in self.items if r.part == "4-2" and (p := split_id(r.id))}))

    def find(self, rid: str) -> Requirement | None:
        """The item an id names, tolerant of the spellings in `normalize_id`; 2-4 BR/RE ids map to their area."""
        canon = normalize_id(rid)
        hit = self._by_id.get(canon)
        if hit is None:
            m = re.fullmatch(r"SP(\d{2})\.\d{2}(BR|RE\d+)?", canon)
            if m:
                area = self._by_id.get(f"SP.{m.group(1)}")
                if area is not None:
                    return replace(area, id=canon, kind="requirement", parent=area.id,
                                   title=f"{area.title} (requirement {canon}; title not catalogued)")
        return hit

    def get(self, rid: str) -> Requirement:
        hit = self.find(rid)
        if hit is None:
            raise UnknownRequirement(rid)
        return hit

    def with_edition(self, edition: str) -> Catalog:
        """The catalog as one edition reads it (e.g. '2013': SR 3.4 at SL 1, before COR1:2014)."""
        over: dict[str, int] = {}
        for info in self.parts.values():
            if info.editions and edition not in info.editions:
                raise ValueError(f"unknown edition {edition!r}; known: {', '.join(info.editions)}")
            over.update(info.editions.get(edition, {}))
        return self.with_levels(over)

    def with_levels(self, overrides: Mapping[str, int]) -> Catalog:
        """Replace the level of named items (a licensee correcting a flagged cell)."""
        canon = {normalize_id(k): v for k, v in overrides.items()}
        unknown = [k for k in canon if k not in self._by_id]
        if unknown:
            raise UnknownRequirement(unknown[0])
        return Catalog((replace(r, level=canon[r.id]) if r.id in canon else r for r in self.items), self.parts)

    def select(self, *, part: str | None = None, level: int | None = None, fr: str | None = None,
               component_type: str | None = None) -> list[Requirement]:
        """Items required at `level` (cumulative), for an FR and a component type; None = no filter."""
        out = []
        for r in self.items:
            if part and r.part != part:
                continue
            if fr and r.fr != fr.upper():
                continue
            if level is not None and self.parts[r.part].scale is not None and (r.level is None or r.level > level):
                continue
            if component_type and r.part == "4-2" and component_type not in r.types:
                continue
            out.append(r)
        return out


@cache
def load_catalog() -> Catalog:
    """The packaged catalogs, read once per process."""
    items: list[Requirement] = []
    parts: dict[str, PartInfo] = {}
    base = resources.files("zonewarden.standard") / "catalogs"
    for part in PARTS:
        doc = json.loads((base / f"{part}.json").read_text(encoding="utf-8"))
        parts[part] = PartInfo(part, doc["standard"], doc["title"], doc.get("scale"), doc.get("note", ""),
                               doc.get("editions", {}))
        for it in doc["items"]:
            items.append(Requirement(
                id=it["id"], part=part, title=it["title"], level=it.get("level"), fr=it.get("fr"),
                types=tuple(it.get("types") or ()), parent=it.get("parent"), kind=it.get("kind", "requirement"),
                guidance=it.get("guidance", ""), confidence=it.get("confidence", "high"), flag=it.get("flag"),
                alternative_level=it.get("alternative_level"), variants=tuple(it.get("variants") or ()),
                group=it.get("practice") or it.get("group") or it.get("step") or it.get("element"),
                note=it.get("note")))
    return Catalog(items, parts)


@lru_cache(maxsize=64)
def counterpart_levels(catalog: Catalog) -> dict[str, dict[str, int]]:
    """3-3 id -> component type -> the 4-2 level at which that type's counterpart is required (design §4).

    An asset stands for a 3-3 requirement by capability when its SL-C on the FR reaches this level, which
    may differ from the 3-3 level (CR 2.11 from SL 1 stands for SR 2.11 at SL 2). Several counterparts
    (SR 1.1 RE 3 <- CR 1.1 RE 2) need the highest. A type missing from the inner mapping has no
    counterpart: for that asset the requirement is system level.
    """
    out: dict[str, dict[str, int]] = {}
    for r in catalog.items:
        if r.part != "3-3" or r.level is None:
            continue
        nums = set(component_numbers(r.id, catalog))
        per: dict[str, int] = {}
        for c in catalog.items:
            if c.part == "4-2" and c.level is not None and (p := split_id(c.id)) and p[1] in nums:
                for t in c.types:
                    per[t] = max(per.get(t, 0), c.level)
        out[r.id] = per
    return out
