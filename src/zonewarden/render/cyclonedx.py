"""The plant's inventory as a CycloneDX 1.6 SBOM with VEX statements.

Each asset is a component (`device`, or `application` for software), its firmware a nested `firmware`
component with the version, its supplier SBOM's components nested below. Each (asset, CVE) with a patch
entry or a matched advisory is a vulnerability whose `analysis` says where it stands; docs/advisories.md
gives the mapping from patch states and match outcomes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from .. import __version__
from ..advisories.sbom import Component
from ..analysis.vulnerabilities import Row
from ..model.plant import Patch, Plant

SPEC = "1.6"
_DEVICE = {"embedded_device": "device", "network_device": "device", "host_device": "device",
           "software_application": "application"}


def vex(patch: Patch | None, outcome: str | None, plant: Plant) -> dict[str, Any]:
    """CycloneDX `analysis` for one asset and vulnerability: the patch state decides when there is one,
    else the match outcome."""
    if patch is not None:
        when = f" since {patch.date.isoformat()}" if patch.date else ""
        if patch.state == "installed":
            return {"state": "resolved", "detail": f"patch installed{when} (IEC TR 62443-2-3 state: installed)"}
        if patch.state in ("new", "evaluating"):
            return {"state": "in_triage", "detail": f"patch state {patch.state}{when}"}
        if patch.state == "deferred":
            cms = [c for c in patch.compensated_by if c in plant.countermeasures
                   and plant.countermeasures[c].status == "implemented"]
            if cms:
                return {"state": "exploitable", "response": ["workaround_available"],
                        "detail": f"patch deferred{when}; compensated by {', '.join(cms)}"}
            return {"state": "exploitable", "response": ["update"],
                    "detail": f"patch deferred{when} without compensating countermeasures"}
        return {"state": "exploitable", "response": ["update"], "detail": f"patch {patch.state}{when}"}
    if outcome == "affected":
        return {"state": "exploitable", "detail": "affected per the advisory; no patch entry yet"}
    if outcome == "fixed":
        return {"state": "resolved", "detail": "the recorded firmware is at or after the fixed release"}
    if outcome == "not_affected":
        return {"state": "not_affected", "justification": "code_not_present",
                "detail": "the recorded firmware is outside the affected versions"}
    return {"state": "in_triage", "detail": "affectedness could not be decided (see the match evidence)"}


def _props(pairs: list[tuple[str, str | None]]) -> list[dict[str, str]]:
    return [{"name": f"zonewarden:{k}", "value": v} for k, v in pairs if v]


def _serial(plant: Plant, body: str) -> str:
    digest = hashlib.sha256(body.encode()).hexdigest()
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'zonewarden:{plant.plant.name}:{digest}')}"


def bom(plant: Plant, components: dict[str, list[Component]] | None = None, rows: list[Row] | None = None,
        timestamp: dt.datetime | None = None) -> dict[str, Any]:
    components = components or {}
    refs: dict[tuple[str, str | None], str] = {}  # (asset, SBOM component label) -> bom-ref that is affected
    out_components = []
    for aid, a in plant.assets.items():
        if a.lifecycle == "decommissioned":
            continue
        kind = _DEVICE.get(a.type, "device")
        c: dict[str, Any] = {"type": kind, "bom-ref": f"asset:{aid}", "name": a.product or a.name or aid}
        if a.vendor:
            c["manufacturer"] = {"name": a.vendor}
        if a.description:
            c["description"] = a.description
        c["properties"] = _props([("asset", aid), ("zone", a.zone), ("model_number", a.model_number),
                                  ("lifecycle", a.lifecycle)])
        nested = []
        if kind == "application":
            if a.firmware:
                c["version"] = a.firmware
            refs[(aid, None)] = c["bom-ref"]
        elif a.firmware:
            nested.append({"type": "firmware", "bom-ref": f"firmware:{aid}", "name": f"{c['name']} firmware",
                           "version": a.firmware})
            refs[(aid, None)] = f"firmware:{aid}"
        else:
            refs[(aid, None)] = c["bom-ref"]
        for i, sc in enumerate(components.get(aid, ())):
            sub: dict[str, Any] = {"type": sc.type if sc.type in _SBOM_TYPES else "library",
                                   "bom-ref": f"sbom:{aid}:{i}", "name": sc.name}
            if sc.version:
                sub["version"] = sc.version
            if sc.vendor:
                sub["supplier"] = {"name": sc.vendor}
            if sc.purl:
                sub["purl"] = sc.purl
            if sc.cpe:
                sub["cpe"] = sc.cpe
            nested.append(sub)
            refs[(aid, f"{sc.name} {sc.version}" if sc.version else sc.name)] = sub["bom-ref"]
        if nested:
            c["components"] = nested
        out_components.append(c)
    vulns = _vulnerabilities(plant, rows or [], refs)
    body = {"components": out_components, "vulnerabilities": vulns}
    doc: dict[str, Any] = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json", "bomFormat": "CycloneDX", "specVersion": SPEC,
        "serialNumber": _serial(plant, json.dumps(body, sort_keys=True)), "version": 1,
        "metadata": {"timestamp": (timestamp or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "tools": {"components": [{"type": "application", "name": "zonewarden", "version": __version__}]},
                     "component": {"type": "platform", "bom-ref": "plant", "name": plant.plant.name},
                     "properties": _props([("site", plant.plant.site)])},
        **body,
    }
    if not vulns:
        del doc["vulnerabilities"]
    return doc


_SBOM_TYPES = ("application", "framework", "library", "container", "platform", "operating-system", "device",
               "device-driver", "firmware", "file", "machine-learning-model", "data", "cryptographic-asset")


def _vulnerabilities(plant: Plant, rows: list[Row], refs: dict[tuple[str, str | None], str]) -> list[dict]:
    out: list[dict[str, Any]] = []
    done: set[tuple[str, str]] = set()
    covered = {(r.match.asset, r.match.advisory.id) for r in rows}
    for r in rows:
        m = r.match
        ref = refs.get((m.asset, m.item.component)) or refs.get((m.asset, None))
        if ref is None:
            continue
        for cve in m.cves or [m.advisory.id]:
            if (ref, cve) in done:
                continue
            done.add((ref, cve))
            v: dict[str, Any] = {"bom-ref": f"vuln:{ref}:{cve}", "id": cve,
                                 "source": {"name": "CISA ICS advisories (CSAF)"}}
            if m.advisory.url:
                v["source"]["url"] = m.advisory.url
            if m.cvss is not None:
                method = "CVSSv31" if (m.vector or "").startswith("CVSS:3.1") else "CVSSv3"
                v["ratings"] = [{"score": m.cvss, "method": method, "vector": m.vector or ""}]
            v["advisories"] = [{"title": m.advisory.id, "url": m.advisory.url}] if m.advisory.url else []
            if not v["advisories"]:
                del v["advisories"]
            v["analysis"] = vex(r.patch, m.outcome, plant)
            status = {"affected": "affected", "fixed": "unaffected", "not_affected": "unaffected"}.get(m.outcome,
                                                                                                        "unknown")
            version = m.item.firmware
            affects: dict[str, Any] = {"ref": ref}
            if version:
                affects["versions"] = [{"version": version, "status": status}]
            v["affects"] = [affects]
            v["properties"] = _props([("advisory", m.advisory.id), ("outcome", m.outcome)])
            out.append(v)
    # patch entries no match covers (no advisory folder given, or the advisory is not in it)
    for aid, a in plant.assets.items():
        ref = refs.get((aid, None))
        if ref is None:
            continue
        for p in a.patches:
            key = p.cve or p.advisory or ""
            if (ref, key) in done or (aid, p.advisory) in covered:
                continue
            done.add((ref, key))
            out.append({"bom-ref": f"vuln:{ref}:{key}", "id": key,
                        "source": {"name": "CISA ICS advisories (CSAF)" if key.upper().startswith("ICS")
                                   else "NVD" if p.cve else "advisory"},
                        "analysis": vex(p, None, plant), "affects": [{"ref": ref}],
                        "properties": _props([("patch_state", p.state)])})
    return out
