"""Who may do what: every route names one action, and this table says which roles hold it.

The authorization test walks every route of the app against this table (tests/web/test_authorization.py),
so a new route without an action, or an action without a row here, fails the suite. Two rules sit outside
the table because they depend on the plant, not the role: a supplier declares only the components whose
`supplier:` is its own role id, and reads only those components' procurement packs. docs/web.md#roles.
"""

from __future__ import annotations

ALL = frozenset({"admin", "asset_owner", "integrator", "supplier", "auditor"})
READERS = ALL - {"supplier"}  # the assessment, the findings and the documents
ENGINEERS = frozenset({"admin", "asset_owner", "integrator"})

ACTIONS: dict[str, frozenset[str]] = {
    "plant.read": ALL,  # plants list, overview, zones and conduits, diagram, versions
    "findings.read": READERS,  # gap register, attack paths, traffic verdicts, crosswalk, advisories, diff
    "documents.read": READERS,  # report, CRS, change records, CycloneDX, evidence downloads
    "procurement.read": ALL,  # procurement packs (a supplier: its own components only)
    "plant.upload": ENGINEERS,  # a new plant, or a new version of one
    "tracking.edit": ENGINEERS,  # status, justification and owner of findings
    "compensation.edit": ENGINEERS,
    "component.declare": ENGINEERS | {"supplier"},  # capability SL, meets, certificate (a supplier: its own)
    "patch.edit": frozenset({"asset_owner"}),  # 62443-2-3 patch states are the asset owner's decision
    "approve": frozenset({"asset_owner"}),  # compensations, accepted findings, change records
    "applicability.decide": frozenset({"asset_owner"}),  # N/A decisions on zones and conduits, and their withdrawal
    "evidence.add": ENGINEERS | {"supplier"},
    "traffic.upload": ENGINEERS,
    "audit.read": frozenset({"admin", "asset_owner", "auditor"}),
    "users.manage": frozenset({"admin"}),
}


def allowed(role: str, action: str) -> bool:
    return role in ACTIONS[action]
