#!/usr/bin/env python3
"""Regenerate src/zonewarden/standard/oui.json: the MAC prefixes (OUIs) of industrial vendors.

Facts from the IEEE registration authority's public OUI registry, read here from the copy that
Wireshark packages (`/usr/share/wireshark/manuf`, Debian's wireshark-common, installed with
tshark). Only organisations whose name matches an OT vendor below are kept: discovery names an
asset's likely vendor, it is not a general MAC lookup.

    python scripts/update_oui.py [MANUF]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "zonewarden" / "standard" / "oui.json"
# vendor as we name it -> pattern on the registry's organisation name
VENDORS = {
    "Siemens": r"^Siemens AG\b|^Siemens (Industry|Energy|Building|Switzerland|Schweiz)",
    "Rockwell Automation": r"^Rockwell Automation|^Allen[- ]Bradley",
    "Schneider Electric": r"^Schneider Electric|^Telemecanique",
    "Phoenix Contact": r"^Phoenix Contact", "Beckhoff": r"^Beckhoff", "WAGO": r"^WAGO",
    "Hirschmann": r"^Hirschmann Automation", "Moxa": r"^Moxa", "Mitsubishi Electric": r"^Mitsubishi Electric",
    "Omron": r"^Omron (Corporation|Tateisi)", "Honeywell": r"^Honeywell", "Yokogawa": r"^Yokogawa",
    "Emerson": r"^Emerson (Process|Automation)|^Fisher[- ]Rosemount", "ABB": r"^ABB\b",
    "GE": r"^GE (Intelligent|Fanuc|Multilin|Grid|Vernova)|^General Electric|^GE Fanuc", "Hilscher": r"^Hilscher",
    "B&R": r"^B&R Industrial|^Bernecker", "Pilz": r"^Pilz", "Festo": r"^Festo", "Bosch Rexroth": r"^Bosch Rexroth",
    "SICK": r"^Sick Ag|^SICK AG", "Turck": r"^TURCK|^Hans Turck", "Belden": r"^Belden",
    "RuggedCom": r"^RuggedCom", "Advantech": r"^Advantech", "HIMA": r"^HIMA Paul", "Endress+Hauser": r"^Endress",
    "Eaton": r"^Eaton", "Danfoss": r"^Danfoss", "Lenze": r"^Lenze", "SEW-Eurodrive": r"^SEW[- ]Eurodrive",
    "Weidmueller": r"^Weidm", "Westermo": r"^Westermo", "Red Lion": r"^Red Lion", "ProSoft": r"^ProSoft",
    "Opto 22": r"^Opto 22", "Hitachi Industrial": r"^Hitachi Industrial", "Fuji Electric": r"^Fuji Electric",
    "Yaskawa": r"^Yaskawa", "Keyence": r"^Keyence", "Fanuc": r"^FANUC", "Kollmorgen": r"^Kollmorgen",
    "Anybus (HMS)": r"^HMS Industrial", "Softing": r"^Softing", "Digi": r"^Digi International",
    "Lantronix": r"^Lantronix", "Sierra Wireless": r"^Sierra Wireless",
}


def main(argv: list[str]) -> int:
    source = Path(argv[0] if argv else "/usr/share/wireshark/manuf")
    patterns = {name: re.compile(p, re.I) for name, p in VENDORS.items()}
    table: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not re.fullmatch(r"[0-9A-F]{2}(:[0-9A-F]{2}){2}", parts[0]):
            continue  # only whole 24-bit OUIs
        org = parts[2].strip()
        for name, pattern in patterns.items():
            if pattern.search(org):
                table[parts[0].lower()] = name
                break
    doc = {"source": "IEEE OUI registry, as packaged in Wireshark's manuf file; filtered to OT vendors by "
                     "scripts/update_oui.py", "count": len(table), "oui": dict(sorted(table.items()))}
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT}: {len(table)} prefixes of {len(set(table.values()))} vendors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
