"""SL-C of each asset (design §4): certificate over declared vector over `meets:` list.

A certificate caps what is declared (per FR, the lower of the two), and a declared vector above the
certificate is a finding; a certificate issued for another firmware than the asset runs no longer
counts (the change re-opens the evidence) and is a finding too.

From a `meets:` list, per FR the highest level whose every 4-2 requirement for the asset's
component type is met. Ids match through their counterparts (catalog.COMPONENT_TO_SYSTEM), so
`SR 2.4`, `CR 2.4` and `EDR 2.4` all count for an embedded device's EDR 2.4. An asset that
declares nothing is SL-C 0: unknown capability is no capability. A countermeasure placed at an
asset adds its `meets` to the asset's. See docs/assessment.md#capability-sl-c.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..model.plant import Asset, Plant
from ..model.sl import FRS, SLVector
from ..standard.catalog import Catalog, component_numbers, split_id, system_numbers
from .findings import Finding, Rule

COUNTED_LIFECYCLE = ("commissioning", "operating", "maintenance", "decommissioning")
# "SL2", "SL 2", "SL-2", "SL-C 2", "CSL 2": the security level a certificate states (ISASecure CSA, IECEE CB, TUV)
CERT_SL = re.compile(r"(?<![A-Za-z])(?:SL\s*-?\s*C?|CSL)\s*-?\s*([0-4])(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class AssetCapability:
    asset: str
    type: str
    sl: SLVector
    source: str  # declared | certificate | meets | none
    claims_42: frozenset[str]  # 4-2 numbers the asset meets by itself or by a countermeasure placed on it
    claims_33: frozenset[str]  # the 3-3 numbers those claims stand for
    counted: bool  # counts towards its zone's SL-A (lifecycle between commissioning and decommissioning)
    declared: SLVector | None = None
    certified: SLVector | None = None  # the certificate's level, when it counts
    reopened: str | None = None  # why a certificate no longer counts (firmware changed)
    above_certificate: tuple[str, ...] = ()  # listed requirements that ask more than the certificate states


@lru_cache(maxsize=4096)  # many assets share one datasheet: compute each distinct claim once
def _from_meets(numbers: frozenset[str], component_type: str, catalog: Catalog) -> SLVector:
    levels = []
    for fr in FRS:
        items = [r for r in catalog.select(part="4-2", fr=fr, component_type=component_type) if r.level is not None]
        level = 0
        for candidate in range(1, 5):
            if all((p := split_id(r.id)) and p[1] in numbers for r in items if r.level <= candidate):
                level = candidate
            else:
                break
        levels.append(level)
    return SLVector(levels)


def asset_capability(aid: str, asset: Asset, catalog: Catalog, extra_meets: tuple[str, ...] = ()) -> AssetCapability:
    cap = asset.capability
    own = list(cap.meets if cap else ())
    counted = asset.lifecycle in COUNTED_LIFECYCLE
    cert = ceiling = None
    reopened = None
    if cap is not None and cap.certificate and (m := CERT_SL.search(cap.certificate)):
        ceiling = SLVector.uniform(int(m.group(1)))
        if cap.certificate_firmware is not None and asset.firmware is not None \
                and cap.certificate_firmware.strip() != asset.firmware.strip():
            reopened = (f"certificate {cap.certificate!r} covers firmware {cap.certificate_firmware}, the asset runs "
                        f"{asset.firmware}")
        else:
            cert = ceiling
    # the certificate (even one a firmware change re-opened) bounds every lower-precedence claim: a declared vector
    # or a listed requirement above it does not count (a re-opened certificate never lets SL-C rise)
    above = tuple(r for r in own if ceiling is not None and _claim_level(r, asset.type, catalog, ceiling))
    listed = [*(r for r in own if r not in above), *extra_meets]
    claims_42 = frozenset(n for r in listed for n in component_numbers(r, catalog))
    claims_33 = frozenset(n for r in listed for n in system_numbers(r, catalog))

    def made(sl: SLVector, source: str) -> AssetCapability:
        return AssetCapability(aid, asset.type, sl, source, claims_42, claims_33, counted,
                               cap.sl if cap is not None else None, cert, reopened, above)

    declared = cap.sl if cap is not None else None
    if cert is not None:
        return made(cert.min(declared) if declared is not None else cert, "certificate")
    if declared is not None:
        return made(declared.min(ceiling) if ceiling is not None else declared, "declared")
    if listed:
        sl = _from_meets(claims_42, asset.type, catalog)
        return made(sl.min(ceiling) if ceiling is not None else sl, "meets")
    return made(SLVector.uniform(0), "none")


@lru_cache(maxsize=8192)
def _levels_42(number: str, component_type: str, catalog: Catalog) -> tuple[str, int] | None:
    """(FR, level) of the 4-2 item of this number for a component type, or None."""
    for r in catalog.items:
        if r.part == "4-2" and r.level is not None and r.fr and component_type in r.types \
                and (p := split_id(r.id)) and p[1] == number:
            return r.fr, r.level
    return None


def _claim_level(rid: str, component_type: str, catalog: Catalog, ceiling: SLVector) -> bool:
    """Does a listed requirement ask more of this component type than the certificate's level on its FR?"""
    for number in component_numbers(rid, catalog):
        hit = _levels_42(number, component_type, catalog)
        if hit is not None and hit[1] > ceiling[hit[0]]:
            return True
    return False


def capabilities(plant: Plant, catalog: Catalog) -> dict[str, AssetCapability]:
    """SL-C of every asset; countermeasures placed at an asset add to what that asset meets."""
    on_asset: dict[str, list[str]] = {}
    for m in plant.countermeasures.values():
        if m.at.asset and m.status == "implemented":
            on_asset.setdefault(m.at.asset, []).extend(m.meets)
    return {aid: asset_capability(aid, a, catalog, tuple(on_asset.get(aid, ()))) for aid, a in plant.assets.items()}


RULES = {r.id: r for r in (
    Rule("capability-above-certificate", "medium", "Declared SL-C above the certificate",
         "The asset declares a higher SL-C, on some FR, than its certificate states; the certificate counts.",
         "CR 3.3"),
    Rule("certificate-reopened", "medium", "Certificate for another firmware",
         "The certificate was issued for another firmware than the asset runs; it no longer counts until the "
         "evidence is renewed.", "CR 3.10"),
)}


def capability_findings(caps: dict[str, AssetCapability]) -> list[Finding]:
    """A finding for each declared vector above its certificate and each certificate a firmware change re-opened."""
    out = []
    for aid, c in caps.items():
        if c.certified is not None and c.declared is not None and not c.certified.meets(c.declared):
            r = RULES["capability-above-certificate"]
            out.append(Finding(f"capability:{aid}:certificate", r.id, r.severity,
                               f"asset {aid!r} declares SL-C {c.declared} above its certificate's {c.certified} on "
                               f"{', '.join(c.certified.shortfall(c.declared))}; counted at {c.sl}", None,
                               ("assets", aid, "capability", "sl"), r.requirement))
        if c.above_certificate:
            r = RULES["capability-above-certificate"]
            out.append(Finding(f"capability:{aid}:meets", r.id, r.severity,
                               f"asset {aid!r} lists {', '.join(c.above_certificate)}, asked above its certificate's "
                               f"level; they do not count", None, ("assets", aid, "capability", "meets"),
                               r.requirement))
        if c.reopened is not None:
            r = RULES["certificate-reopened"]
            out.append(Finding(f"capability:{aid}:firmware", r.id, r.severity,
                               f"asset {aid!r}: {c.reopened}; the certificate does not count (counted at {c.sl}, "
                               f"{c.source})", None, ("assets", aid, "capability", "certificate"), r.requirement))
    return out
