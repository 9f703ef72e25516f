"""What a countermeasure is, by its kind: a preventive layer, a detective sensor, a procedure, or support;
and which SR families a kind can plausibly stand in for (design §4 compensations and depth).

Only preventive kinds are layers of defense in depth: they stand on a path and stop an attacker
crossing it. Detective kinds see, procedural kinds rule, supporting kinds protect data or keep
services but stop no one on a path; all three are reported beside the depth, not in it.
A compensation's countermeasure meets its requirement when its `meets` list names the requirement's
SR family (SR 1.1, SR 1.1 RE 2, CR 1.1 ... are all family 1.1), or when the kind is listed for that
family in PLAUSIBLE. docs/assessment.md#compensations has the table.
"""

from __future__ import annotations

import re

PREVENTIVE = frozenset({
    "firewall", "data_diode", "unidirectional_gateway", "router_acl", "jump_host", "remote_access_gateway", "vpn",
    "mfa", "application_allowlisting", "hardening", "antivirus",
    "network_access_control", "wireless_security",
})
DETECTIVE = frozenset({"ids", "siem", "log_collection", "monitoring"})
PROCEDURAL = frozenset({"policy", "procedure"})
# the rest is supporting: encryption, vlan, directory_service, privileged_access_management (a vault stops no one
# on a path), backup, patch_management, physical_security, media_control, time_source, other


# SR families a policy or procedure can carry on its own, without a technical measure: portable and mobile device
# use (2.3), application partitioning as a design rule (5.4), recovery and reconstitution (7.4), emergency power
# provisions (7.5). Elsewhere a procedural countermeasure neither satisfies a requirement nor proves a compensation.
PROCEDURAL_FAMILIES = frozenset({"2.3", "5.4", "7.4", "7.5"})
# preventive kinds enforced on hosts: placed at a zone, they run on the zone's servers and workstations
HOST_KINDS = frozenset({"mfa", "antivirus", "application_allowlisting", "hardening"})
# preventive kinds that relay sessions: placed at a zone, only what starts on the zone's relays passes them
RELAY_KINDS = frozenset({"jump_host", "remote_access_gateway", "vpn"})
RELAY_FUNCTIONS = frozenset({"jump_host", "vpn_gateway"})


def kind_class(kind: str) -> str:
    """preventive | detective | procedural | supporting."""
    if kind in PREVENTIVE:
        return "preventive"
    if kind in DETECTIVE:
        return "detective"
    return "procedural" if kind in PROCEDURAL else "supporting"


# SR families (FR.SR) each kind can stand in for without a `meets` list saying so
PLAUSIBLE: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in {
    "firewall": "1.13 5.1 5.2 5.3 7.1",
    "data_diode": "1.13 5.1 5.2 5.3",
    "unidirectional_gateway": "1.13 5.1 5.2 5.3",
    "router_acl": "5.1 5.2",
    "vlan": "5.1",
    "jump_host": "1.1 1.3 1.5 1.7 1.13 2.1 2.5 2.6 2.7 2.8",
    "remote_access_gateway": "1.1 1.13 2.1 2.6 2.7 2.8 4.1",
    "vpn": "1.2 1.13 3.1 4.1",
    "mfa": "1.1 1.5 1.7",
    "directory_service": "1.1 1.3 1.4 1.5 1.7 1.10 1.11 1.12 2.1 2.5",
    "privileged_access_management": "1.1 1.3 1.4 1.5 1.7 2.1 2.6 2.7 2.8",
    "ids": "2.8 3.4 6.2 7.8",
    "siem": "2.8 2.9 2.10 3.9 6.1 6.2",
    "log_collection": "2.8 2.9 2.10 3.9 6.1",
    "monitoring": "6.2 7.8",
    "antivirus": "3.2",
    "application_allowlisting": "2.4 3.2 7.7",
    "patch_management": "",
    "backup": "7.3 7.4",
    "hardening": "2.3 2.4 7.6 7.7",
    "network_access_control": "1.2 1.9 5.1",
    "wireless_security": "1.2 1.6 2.2 4.1",
    "physical_security": "1.1 2.3",
    "media_control": "2.3 3.2",
    "encryption": "3.1 4.1 4.3",
    "time_source": "2.11",
    "policy": "",
    "procedure": "",
    "other": "",
}.items()}

# families of access control: a preventive compensation must carry every allowed flow into the asset
ACCESS_CONTROL = frozenset({f"1.{n}" for n in range(1, 15)} | {f"2.{n}" for n in range(1, 8)})

_FAMILY = re.compile(r"^(?:SR|CR|EDR|HDR|NDR|SAR)\s+(\d+\.\d+)")


def family(requirement: str) -> str | None:
    """`SR 1.1 RE 2`, `CR 1.1`, `NDR 1.6 RE 1` -> `1.1`, `1.1`, `1.6`."""
    m = _FAMILY.match(requirement)
    return m.group(1) if m else None


def meets_family(kind: str, meets: list[str], families: set[str]) -> str | None:
    """How a countermeasure meets one of the families, or None: `meets SR 1.1 RE 1` or `kind jump_host`."""
    for r in meets:
        if family(r) in families:
            return f"meets {r}"
    if PLAUSIBLE.get(kind, frozenset()) & families:
        return f"kind {kind}"
    return None
