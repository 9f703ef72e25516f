"""Closed vocabularies of the plant format: the words a plant file may use, in one place.

Kept apart from the models so that the traffic decoders, the docs test and the JSON Schema all
read the same lists (design §3 and §5).
"""

from __future__ import annotations

ROLE_KINDS = ("asset_owner", "integrator", "product_supplier", "service_provider")

ZONE_KINDS = (
    "enterprise", "dmz", "remote_access", "supervisory", "operations", "engineering",
    "control", "safety", "wireless", "field", "external",
)
TRUST = ("untrusted", "trusted")
SCOPES = ("suc", "external")
INTERNAL_POLICY = ("allow", "deny")

COMPONENT_TYPES = ("embedded_device", "host_device", "network_device", "software_application")
ASSET_FUNCTIONS = (
    "plc", "rtu", "sis", "dcs_controller", "hmi", "scada_server", "ews", "historian", "opc_server",
    "mes", "batch_server", "domain_controller", "file_server", "jump_host", "firewall", "router",
    "switch", "wireless_ap", "vpn_gateway", "data_diode", "ids_sensor", "backup_server",
    "patch_server", "antivirus_server", "drive", "io_module", "sensor", "actuator", "robot", "agv",
    "camera", "printer", "workstation", "server", "application", "other",
)
CRITICALITY = ("low", "medium", "high")
LIFECYCLE = ("planned", "commissioning", "operating", "maintenance", "decommissioning", "decommissioned")

COUNTERMEASURE_KINDS = (
    "firewall", "data_diode", "unidirectional_gateway", "router_acl", "vlan", "jump_host",
    "remote_access_gateway", "vpn", "mfa", "directory_service", "privileged_access_management",
    "ids", "siem", "log_collection", "antivirus", "application_allowlisting", "patch_management",
    "backup", "hardening", "network_access_control", "wireless_security", "physical_security",
    "media_control", "encryption", "time_source", "policy", "procedure", "monitoring", "other",
)
COUNTERMEASURE_STATUS = ("planned", "implemented", "retired")
# IEC TR 62443-2-3 patch lifecycle of one advisory or CVE on one asset
PATCH_STATES = ("new", "evaluating", "approved", "tested", "installed", "deferred")

PROTOCOLS = (
    "modbus", "s7comm", "s7comm-plus", "dnp3", "enip", "iec104", "opcua", "bacnet", "goose", "mms",
    "profinet", "hart-ip", "fins", "c37.118", "ads", "fox", "melsec", "ssh", "rdp", "telnet", "ftp",
    "http", "https", "tls", "smb", "vnc", "dns", "ntp", "snmp", "syslog", "tcp", "udp",
)
OP_CLASSES = ("read", "write", "program", "control", "diagnostics")
DIRECTIONS = ("forward", "both")

# threat actors of a risk scenario, and the attacker capability 62443-3-3 defines SL 1-4 by (analysis.risk)
ACTOR_KINDS = ("casual", "insider", "hacktivist", "criminal", "competitor", "terrorist", "nation_state", "other")
ACTOR_CAPABILITIES = ("casual", "simple", "sophisticated", "extended")

CONSEQUENCE_CATEGORIES = ("safety", "environment", "production", "financial", "reputation", "regulatory")
