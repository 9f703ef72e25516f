"""A discovered draft as plant YAML (format 1), each guess followed by its evidence as a comment."""

from __future__ import annotations

import datetime as dt
import json

from ..analysis.discover import Draft


def _s(value: object) -> str:
    """A YAML scalar: JSON's quoting is valid YAML and never ambiguous."""
    return json.dumps(value)


def draft_yaml(draft: Draft, sources: list[str], name: str = "Discovered plant") -> str:
    today = dt.date.today().isoformat()
    out = [
        "# A DRAFT written by `zonewarden discover` from traffic; every guess says why in a comment.",
        f"# Sources: {', '.join(sources)} ({draft.flows} flows). Review zones, functions and rules before use:",
        "# discovery sees who talked, not who should. `zonewarden check` and `zonewarden traffic` run on it as is.",
        "zonewarden: 1",
        f"plant: {{name: {_s(name)}, description: {_s(f'Drafted from traffic on {today}')}}}",
        "",
        "zones:" if draft.zones else "zones: {}",
    ]
    for z in draft.zones.values():
        out.append(f"  {z.id}:  # {z.evidence}")
        out.append(f"    name: {_s(z.name)}")
        out.append(f"    kind: {z.kind}")
        out.append(f"    level: {z.level:g}")
        if z.trust != "trusted":
            out.append(f"    trust: {z.trust}")
        if z.networks:
            out.append(f"    networks: [{', '.join(z.networks)}]")
    out += ["", "conduits:" if draft.conduits else "conduits: {}"]
    for cid, (za, zb, rules) in draft.conduits.items():
        out.append(f"  {cid}:")
        out.append(f"    zones: [{za}, {zb}]")
        out.append("    flows:")
        for r in rules:
            ops = f", ops: [{', '.join(r.ops)}]" if r.ops else ""
            out.append(f"      - {{from: {r.src}, to: {r.dst}, protocol: {_s(r.protocol)}, port: {r.port}{ops}}}"
                       f"  # {r.evidence}")
    out += ["", "assets:" if draft.hosts else "assets: {}"]
    for h in draft.hosts.values():
        out.append(f"  {h.id}:  # {h.function}: {h.evidence}")
        out.append(f"    zone: {h.zone}")
        out.append(f"    type: {h.type}")
        out.append(f"    function: {h.function}")
        out.append(f"    addresses: [{_s(h.address)}]")
    return "\n".join(out) + "\n"
