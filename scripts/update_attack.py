#!/usr/bin/env python3
"""Regenerate the packaged ATT&CK for ICS extract from a (newer) STIX bundle.

    python scripts/update_attack.py ../shared/data/attack-ics/ics-attack-18.1.json

Keeps what the assessment needs: techniques (id, name, tactics, the mitigations that mitigate
them, the assets they target), tactics, mitigations with their IEC 62443 and NIST SP 800-53
labels, and assets. Revoked and deprecated objects are dropped. Writes
src/zonewarden/standard/attack/ics-attack.json and copies MITRE's LICENSE.txt beside it.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "zonewarden" / "standard" / "attack"
NOTICE = ("© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of "
          "The MITRE Corporation. Trimmed extract of the ATT&CK for ICS STIX bundle; see LICENSE.txt.")


def _ext_id(obj: dict) -> str | None:
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack":
            return ref.get("external_id")
    return None


def _live(obj: dict) -> bool:
    return not obj.get("revoked") and not obj.get("x_mitre_deprecated")


def extract(bundle: dict) -> dict:
    objs = bundle["objects"]
    by_stix = {o["id"]: o for o in objs}
    version = next((o.get("x_mitre_version") for o in objs if o["type"] == "x-mitre-collection"), None)
    tactics = sorted(({"id": _ext_id(o), "name": o["name"], "shortname": o["x_mitre_shortname"]}
                      for o in objs if o["type"] == "x-mitre-tactic" and _live(o)), key=lambda t: t["id"])
    mitigations = {}
    for o in objs:
        if o["type"] == "course-of-action" and _live(o) and _ext_id(o):
            iec, nist = [], []
            for label in o.get("labels", []):
                m = re.fullmatch(r"IEC 62443-[34]-[23]:\d{4} - (.+)", label)
                if m:
                    iec.append(m.group(1).strip())
                m = re.fullmatch(r"NIST SP 800-53 Rev\. 5 - (.+)", label)
                if m:
                    nist.extend(x.strip() for x in m.group(1).split(";"))
            mitigations[o["id"]] = {"id": _ext_id(o), "name": o["name"], "iec62443": iec, "nist80053": nist}
    assets = {o["id"]: {"id": _ext_id(o), "name": o["name"]}
              for o in objs if o["type"] == "x-mitre-asset" and _live(o) and _ext_id(o)}
    techniques = {}
    for o in objs:
        if o["type"] == "attack-pattern" and _live(o) and _ext_id(o):
            techniques[o["id"]] = {"id": _ext_id(o), "name": o["name"],
                                   "tactics": sorted(p["phase_name"] for p in o.get("kill_chain_phases", [])),
                                   "mitigations": [], "assets": []}
    for r in objs:
        if r["type"] != "relationship" or not _live(r):
            continue
        src, dst = r["source_ref"], r["target_ref"]
        if r["relationship_type"] == "mitigates" and src in mitigations and dst in techniques:
            techniques[dst]["mitigations"].append(mitigations[src]["id"])
        elif r["relationship_type"] == "targets" and src in techniques and dst in assets:
            techniques[src]["assets"].append(assets[dst]["id"])
    for t in techniques.values():
        t["mitigations"] = sorted(set(t["mitigations"]))
        t["assets"] = sorted(set(t["assets"]))
    del by_stix
    return {
        "notice": NOTICE,
        "source": {"name": "MITRE ATT&CK for ICS", "version": version},
        "tactics": tactics,
        "techniques": sorted(techniques.values(), key=lambda t: t["id"]),
        "mitigations": sorted(mitigations.values(), key=lambda m: m["id"]),
        "assets": sorted(assets.values(), key=lambda a: a["id"]),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    src = Path(argv[0])
    data = extract(json.loads(src.read_text(encoding="utf-8")))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ics-attack.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    licence = src.parent / "LICENSE.txt"
    if licence.exists():
        shutil.copyfile(licence, OUT / "LICENSE.txt")
    print(f"ATT&CK for ICS {data['source']['version']}: {len(data['techniques'])} techniques, "
          f"{len(data['mitigations'])} mitigations ({sum(1 for m in data['mitigations'] if m['iec62443'])} with "
          f"62443 labels), {len(data['tactics'])} tactics, {len(data['assets'])} assets -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
