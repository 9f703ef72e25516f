"""A supplier's CycloneDX SBOM for one asset, and the plant's inventory as items to match.

Only the CycloneDX JSON form is read (1.4 to 1.6): the components, nested ones included, with their
supplier, manufacturer or publisher as vendor, name and version. Components join the matching as items
of the asset they ship in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.plant import Plant
from .match import Item


class SBOMError(ValueError):
    """The file is not a CycloneDX JSON SBOM; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Component:
    name: str
    version: str | None
    vendor: str | None
    type: str
    purl: str | None = None
    cpe: str | None = None


def _vendor(c: dict[str, Any]) -> str | None:
    for key in ("manufacturer", "supplier"):
        org = c.get(key)
        if isinstance(org, dict) and org.get("name"):
            return str(org["name"])
    return str(c["publisher"]) if c.get("publisher") else (str(c["group"]) if c.get("group") else None)


def parse_cyclonedx(data: Any, where: str) -> list[Component]:
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        raise SBOMError(f"{where}: not a CycloneDX SBOM (expected a JSON object with \"bomFormat\": \"CycloneDX\")")
    if not str(data.get("specVersion", "")).startswith("1."):
        raise SBOMError(f"{where}: specVersion {data.get('specVersion')!r}: expected a CycloneDX 1.x version")
    out: list[Component] = []

    def walk(items: Any, path: str) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            raise SBOMError(f"{where}: {path} is not a list")
        for i, c in enumerate(items):
            if not isinstance(c, dict) or not c.get("name"):
                raise SBOMError(f"{where}: {path}[{i}] has no `name`")
            out.append(Component(str(c["name"]), str(c["version"]) if c.get("version") else None, _vendor(c),
                                 str(c.get("type", "library")), c.get("purl"), c.get("cpe")))
            walk(c.get("components"), f"{path}[{i}].components")

    walk(data.get("components"), "components")
    return out


def read_cyclonedx(path: Path) -> list[Component]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SBOMError(f"{path}: cannot read ({e.strerror or e})") from None
    if raw.lstrip()[:1] == b"<":
        raise SBOMError(f"{path}: CycloneDX XML is not read; export the SBOM as CycloneDX JSON")
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise SBOMError(f"{path}: not JSON ({e})") from None
    return parse_cyclonedx(data, str(path))


def inventory(plant: Plant, components: dict[str, list[Component]] | None = None) -> list[Item]:
    """Every asset still in service, then the SBOM components of each."""
    items = []
    for aid, a in plant.assets.items():
        if a.lifecycle == "decommissioned":
            continue
        items.append(Item(aid, a.vendor, a.product, a.model_number, a.firmware))
        for c in (components or {}).get(aid, ()):
            label = f"{c.name} {c.version}" if c.version else c.name
            items.append(Item(aid, c.vendor or a.vendor, c.name, None, c.version, label))
    return items
