"""The plant model, format version 1 (design §3): typed, strict, and the one shape every layer reads.

Every mapping forbids unknown keys, every id is a mapping key, every cross-reference is by id
(checked in `zonewarden.analysis.checks`, which knows file positions). Field-by-field reference
with examples: docs/model.md.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import vocabulary as V
from .sl import SLError, SLVector, sl_json_schema

FORMAT_VERSION = 1

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=128),
    Field(description="An id: letters, digits, '-', '_' and '.'; starts with a letter or digit."),
]
RequirementId = Annotated[
    str,
    StringConstraints(min_length=2, max_length=40),
    Field(description="A requirement id as the standard writes it: 'SR 1.1', 'SR 1.1 RE 1', 'CR 3.14', 'SM-1'."),
]
TechniqueId = Annotated[
    str,
    StringConstraints(pattern=r"^T0\d{3}(\.\d{3})?$"),
    Field(description="An ATT&CK for ICS technique id, e.g. T0866."),
]


def _reject_bool(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError("expected a number, not true/false")
    return v


def _ip_address(v: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(str(v).strip())
    except ValueError:
        raise ValueError(f"{v!r} is not an IPv4 or IPv6 address") from None


def _ip_network(v: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(str(v).strip(), strict=True)
    except ValueError as e:
        raise ValueError(f"{v!r} is not a network in CIDR notation with its host bits zero ({e})") from None


MAC = Annotated[
    str,
    BeforeValidator(lambda v: v.lower().replace("-", ":") if isinstance(v, str) else v),
    StringConstraints(pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$"),
]
IPAddress = Annotated[
    ipaddress.IPv4Address | ipaddress.IPv6Address,
    BeforeValidator(_ip_address),
    PlainSerializer(str, return_type=str),
    Field(json_schema_extra={"type": "string", "format": "ip-address"}),
]
IPNetwork = Annotated[
    ipaddress.IPv4Network | ipaddress.IPv6Network,
    BeforeValidator(_ip_network),
    PlainSerializer(str, return_type=str),
    Field(json_schema_extra={"type": "string", "format": "cidr"}),
]
def _sl_target(v: Any) -> Literal["auto"] | SLVector:
    if v == "auto":
        return "auto"
    try:
        return SLVector.parse(v)
    except SLError as e:
        raise PydanticCustomError("sl_vector", f"{e}; or 'auto' to derive it from risk") from None


SLTarget = Annotated[
    Any,
    PlainValidator(_sl_target),
    PlainSerializer(lambda v: v if v == "auto" else v.as_list()),
    WithJsonSchema({"anyOf": [{"const": "auto"}, sl_json_schema()],
                    "description": "'auto' (derived from risk) or an SL vector."}),
]

Level = Annotated[int, BeforeValidator(_reject_bool), Field(ge=1)]


class Strict(BaseModel):
    """Base of every plant mapping: unknown keys are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, validate_default=False)


class PlantInfo(Strict):
    name: str
    site: str | None = None
    owner: Id | None = Field(None, description="Role id of the asset owner accountable for the plant.")
    description: str | None = Field(None, description="System under consideration (SUC), in a few lines.")
    validated: StrictBool = Field(False, description="Under formal validation (GxP, SIL): change records list "
                                  "verification before and after as required, signed steps.")


class Role(Strict):
    kind: Literal[V.ROLE_KINDS]  # type: ignore[valid-type]
    name: str
    contact: str | None = None


class FlowRule(Strict):
    """What may cross: conversations initiated by `from` towards `to` (replies ride on the same flow)."""

    from_: Id = Field(alias="from", description="Initiator: an asset id or a zone id.")
    to: Id = Field(description="Responder: an asset id or a zone id.")
    protocol: Literal[V.PROTOCOLS] | None = None  # type: ignore[valid-type]
    port: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=65535)] | list[
        Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=65535)]
    ] | None = None
    direction: Literal[V.DIRECTIONS] = "forward"  # type: ignore[valid-type]
    ops: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]] | None = Field(
        None, description="Allowed operations: classes (read, write, program, control, diagnostics) "
        "or protocol operations (fc6, write_var, operate). Absent: every operation.")
    description: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _protocol_or_port(self) -> FlowRule:
        if self.protocol is None and self.port is None:
            raise ValueError("a flow rule names a protocol, a port, or both")
        if self.port == []:
            raise ValueError("port: [] names no port; leave it out to allow any port of the protocol")
        return self

    @property
    def ports(self) -> list[int]:
        if self.port is None:
            return []
        return [self.port] if isinstance(self.port, int) else list(self.port)


class Applicability(Strict):
    """A decision that a 3-3 requirement does not apply to a zone or conduit (or, with `not_applicable: false`,
    that an inferred N/A does not hold). It counts once an asset owner approved it; a base SR covers its REs."""

    requirement: RequirementId
    not_applicable: StrictBool = Field(True, description="true: the requirement does not apply here; false: it "
                                       "applies although the model infers it does not.")
    justification: str = Field(description="Why, in a line an assessor can check.")
    approved_by: Id | None = Field(None, description="Role id of the asset owner who approved the decision.")
    approved_on: dt.date | None = None
    evidence: str | None = Field(None, description="Where the proof is: a survey, a drawing, a walk-down record.")


class Characteristics(Strict):
    """What a CRS says of a zone or conduit beyond its members (62443-3-2 ZCR 6.4); all optional."""

    physical: str | None = Field(None, description="Physical boundary: rooms, cabinets, cable routes.")
    safety: StrictBool | None = Field(None, description="Holds safety-related assets (default: kind safety).")
    policies: list[Id] = Field([], description="Ids of crs.policies that apply here.")
    assumptions: list[str] = Field([], description="Assumptions the security of this zone or conduit rests on.")
    dependencies: list[str] = Field([], description="What it depends on outside itself (time, DNS, vendor).")
    applicability: list[Applicability] = Field([], description="Requirements decided not applicable here "
                                               "(or applicable against the model's inference).")


class Zone(Characteristics):
    name: str
    description: str | None = None
    level: Annotated[float, BeforeValidator(_reject_bool), Field(ge=0, le=5, multiple_of=0.5)] = Field(
        description="Purdue level: 0 field ... 4 enterprise, 5 internet; 3.5 for a DMZ.")
    kind: Literal[V.ZONE_KINDS]  # type: ignore[valid-type]
    trust: Literal[V.TRUST] = "trusted"  # type: ignore[valid-type]
    scope: Literal[V.SCOPES] | None = Field(  # type: ignore[valid-type]
        None, description="suc: inside the system under consideration; external: an entry point and threat "
        "source with no SL-T, SL-A or gaps. Default: external for trust untrusted, else suc.")
    networks: list[IPNetwork] = []
    sl_target: SLTarget | None = Field(
        None, description="'auto' (derived from risk), an SL 0-4, a list of 7, or a mapping by FR.")
    owner: Id | None = None
    internal: Literal[V.INTERNAL_POLICY] = "allow"  # type: ignore[valid-type]
    flows: list[FlowRule] = Field([], description="Flows allowed inside the zone when internal is deny.")

    @property
    def safety_related(self) -> bool:
        """Holds safety-related assets: `safety:` when given, else a zone of kind safety."""
        return self.safety if self.safety is not None else self.kind == "safety"

    @property
    def external(self) -> bool:
        """Outside the system under consideration (design §4 scope)."""
        if self.scope is not None:
            return bool(self.scope == "external")
        return self.trust == "untrusted" or self.kind == "external"


class Conduit(Characteristics):
    name: str | None = None
    description: str | None = None
    zones: list[Id] = Field(description="The two zones the conduit joins.", min_length=2, max_length=2)
    countermeasures: list[Id] = []
    flows: list[FlowRule] = []
    sl_target: SLVector | None = Field(None, description="Declared SL-T; default: the max of its zones'.")
    owner: Id | None = None


class Capability(Strict):
    """What a component can do (SL-C): a declared vector, a certificate, or the 4-2 items it meets."""

    sl: SLVector | None = None
    source: str | None = Field(None, description="Where the claim comes from: datasheet, test report.")
    certificate: str | None = Field(None, description="Certificate reference, e.g. ISASecure CSA SL2 id.")
    certificate_firmware: str | None = Field(None, description="The firmware version the certificate covers; "
                                             "another firmware on the asset re-opens the certificate evidence.")
    meets: list[RequirementId] = []

    @model_validator(mode="after")
    def _something(self) -> Capability:
        if self.sl is None and not self.meets and not self.certificate:
            raise ValueError("a capability gives `sl`, a `certificate` or a `meets` list")
        return self


def _done_on(v: Any) -> dt.date | Literal["n/a"]:
    """A checklist step: the date it was done, or n/a. A YAML date arrives as a date, a quoted one as text."""
    if v == "n/a" or (isinstance(v, dt.date) and not isinstance(v, dt.datetime)):
        return v  # type: ignore[no-any-return]
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise PydanticCustomError("done_on", f"expected the date the step was done, quoted \"YYYY-MM-DD\", or 'n/a' "
                              f"when it does not apply to this component, not {v!r}")


DoneOn = Annotated[
    Any,
    PlainValidator(_done_on),
    PlainSerializer(lambda v: v if v == "n/a" else v.isoformat(), return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"const": "n/a"}],
                    "description": "The date the step was done ('YYYY-MM-DD'), or 'n/a'."}),
]


class Decommission(Strict):
    """The checklist of taking a component out of service (62443-3-3 SR 4.2, 4-2 CR 4.2): each step a date or n/a;
    a step left out is not done. `zonewarden check` names the missing ones (decommission-incomplete)."""

    credentials_revoked: DoneOn | None = Field(None, description="Its accounts, passwords and keys revoked or "
                                               "changed wherever they were trusted.")
    certificates_revoked: DoneOn | None = Field(None, description="Its certificates revoked at the issuing CA.")
    data_erased: DoneOn | None = Field(None, description="Its stored data, configuration and secrets erased "
                                       "(information persistence, 4-2 CR 4.2).")
    addresses_released: DoneOn | None = Field(None, description="Its IP addresses released in address management, "
                                              "free for reuse.")
    erasure_method: str | None = Field(None, description="How the data was erased: factory reset, crypto-erase, "
                                       "shredded.")
    by: Id | None = Field(None, description="Role id of who carried out (or signed off) the decommissioning.")
    notes: str | None = None


_ADVISORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{2,63}$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


class Patch(Strict):
    """Where one advisory (or one CVE) stands on one asset, in the patch states of IEC TR 62443-2-3."""

    advisory: str | None = Field(None, description="Advisory tracking id, e.g. ICSA-23-194-04 or SSA-123456.")
    cve: str | None = Field(None, description="A single CVE, e.g. CVE-2023-12345, when no advisory covers it.")
    state: Literal[V.PATCH_STATES] = Field(description="new, evaluating, approved, tested, installed "  # type: ignore[valid-type]
                                           "or deferred.")
    date: dt.date | None = Field(None, description="When it reached this state.")
    compensated_by: list[Id] = Field([], description="Countermeasure ids that stand in while a patch is deferred.")
    note: str | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> Patch:
        if (self.advisory is None) == (self.cve is None):
            raise ValueError("a patch entry names exactly one of `advisory` or `cve`")
        if self.advisory is not None and not _ADVISORY.match(self.advisory):
            raise ValueError(f"advisory {self.advisory!r}: expected a tracking id such as ICSA-23-194-04")
        if self.cve is not None and not _CVE.match(self.cve):
            raise ValueError(f"cve {self.cve!r}: expected CVE-YYYY-NNNN")
        return self

    @property
    def ref(self) -> str:
        return self.advisory or self.cve or ""


class Asset(Strict):
    name: str | None = None
    description: str | None = None
    zone: Id
    type: Literal[V.COMPONENT_TYPES]  # type: ignore[valid-type]
    function: Literal[V.ASSET_FUNCTIONS] = "other"  # type: ignore[valid-type]
    vendor: str | None = None
    product: str | None = None
    model_number: str | None = None
    firmware: str | None = None
    hostname: str | None = None
    addresses: list[IPAddress] = []
    macs: list[MAC] = Field([], description="Ethernet MAC addresses, six hex pairs (02:00:5e:10:00:01).")
    supplier: Id | None = Field(None, description="Role id of the product supplier.")
    owner: Id | None = None
    criticality: Literal[V.CRITICALITY] = "medium"  # type: ignore[valid-type]
    lifecycle: Literal[V.LIFECYCLE] = "operating"  # type: ignore[valid-type]
    capability: Capability | None = None
    legacy: StrictBool = Field(False, description="Cannot meet current requirements and cannot be replaced soon.")
    reachable_from_outside: StrictBool = Field(False, description="Reachable from outside the plant (an entry point).")
    temporary: StrictBool = Field(False, description="Connected only for a task (a maintenance laptop, a programming "
                                  "device); 62443-3-2 ZCR 3.4 keeps such devices in a zone of their own.")
    decommission: Decommission | None = Field(None, description="Checklist of taking it out of service; for "
                                              "lifecycle decommissioning or decommissioned.")
    patches: list[Patch] = Field([], description="Patch state per advisory or CVE (IEC TR 62443-2-3).")
    sbom: str | None = Field(None, description="A CycloneDX SBOM of its software, relative to the file that "
                             "defines the asset (written by `zonewarden import-sbom`).")


class Placement(Strict):
    zone: Id | None = None
    conduit: Id | None = None
    asset: Id | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Placement:
        if sum(x is not None for x in (self.zone, self.conduit, self.asset)) != 1:
            raise ValueError("`at` names exactly one of zone, conduit or asset")
        return self

    @property
    def kind(self) -> str:
        return "zone" if self.zone else "conduit" if self.conduit else "asset"

    @property
    def target(self) -> str:
        return self.zone or self.conduit or self.asset or ""


class Countermeasure(Strict):
    name: str | None = None
    description: str | None = None
    kind: Literal[V.COUNTERMEASURE_KINDS]  # type: ignore[valid-type]
    at: Placement
    device: Id | None = Field(None, description="The box it runs on (an asset id or a name): countermeasures on "
                              "one device are one layer of defense, not several.")
    meets: list[RequirementId] = []
    owner: Id | None = None
    status: Literal[V.COUNTERMEASURE_STATUS] = "implemented"  # type: ignore[valid-type]


class Compensation(Strict):
    asset: Id
    requirement: RequirementId
    by: list[Id] = Field(min_length=1, description="Countermeasure ids that stand in for the requirement.")
    approved_by: Id | None = Field(None, description="Role id of the asset owner who approved it.")
    justification: str
    approved_on: dt.date | None = None
    review_by: dt.date | None = None


class Matrix(Strict):
    likelihood: Annotated[int, BeforeValidator(_reject_bool), Field(ge=2, le=10)] = 5
    consequence: Annotated[int, BeforeValidator(_reject_bool), Field(ge=2, le=10)] = 5


class Actor(Strict):
    """Who threatens, and with what capability: 62443-3-3 defines SL 1-4 by the attacker it must withstand."""

    kind: Literal[V.ACTOR_KINDS] = Field(  # type: ignore[valid-type]
        description="casual, insider, hacktivist, criminal, competitor, terrorist, nation_state or other.")
    capability: Literal[V.ACTOR_CAPABILITIES] | None = Field(  # type: ignore[valid-type]
        None, description="casual (SL 1), simple (SL 2: simple means, low resources, generic skills), "
        "sophisticated (SL 3: IACS-specific skills, moderate resources), extended (SL 4: extended resources, high "
        "motivation). Default: by kind (docs/assessment.md#threat-actors).")


class Scenario(Strict):
    id: Id
    description: str | None = None
    zone: Id
    source: Id | None = Field(None, description="Zone the threat comes from.")
    actor: Actor | None = Field(None, description="The threat actor; raises the SL the scenario asks to the one "
                                "whose attacker profile matches its capability.")
    techniques: list[TechniqueId] = []
    likelihood: Level
    consequence: dict[Literal[V.CONSEQUENCE_CATEGORIES], Level] = Field(  # type: ignore[valid-type]
        min_length=1, description="Consequence per category; risk uses the worst.")


class Bands(Strict):
    """Where the risk bands above tolerable start; medium starts just above `tolerable`."""

    high: Level | None = Field(None, description="Lowest risk in the high band (default: half the largest risk).")
    critical: Level | None = Field(None, description="Lowest risk in the critical band (default: 80% of the largest).")


class BandSL(Strict):
    """The SL a scenario asks of the FRs it touches, by its risk band (design §4 default 1/2/3/4)."""

    tolerable: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=4)] = 1
    medium: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=4)] = 2
    high: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=4)] = 3
    critical: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=4)] = 4


class Floors(Strict):
    """Lower bounds on a derived SL-T that risk alone may miss (design §4 floors)."""

    safety_consequence: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=4)] = Field(
        3, description="SL asked of the FRs a scenario touches when its safety consequence is at the top of the "
        "matrix, whatever its likelihood; 0 turns the floor off.")
    safety_zone: StrictBool = Field(
        True, description="A safety-related zone is never weaker, per FR, than a zone of the system under "
        "consideration that reaches it through a conduit.")


class DepthPolicy(Strict):
    """How many independent layers must stand between every entry point and a target (issue 6)."""

    high_sl: Annotated[int, BeforeValidator(_reject_bool), Field(ge=1, le=4)] = Field(
        3, description="A target whose zone's SL-T reaches this level in some FR needs `layers_high`.")
    layers_high: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=10)] = 2
    layers: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=10)] = Field(
        1, description="Layers every other target needs.")
    target_criticality: Literal[V.CRITICALITY] = Field(  # type: ignore[valid-type]
        "high", description="Assets of this criticality or above are targets (with every safety zone's assets).")
    targets: list[Id] = Field([], description="Further assets to treat as targets.")


class VulnerabilityPolicy(Strict):
    """How matched advisories weigh on risk and findings (`zonewarden advisories`, `assess --csaf`)."""

    likelihood_raise: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=4)] = Field(
        1, description="Likelihood levels added to every scenario of a zone that holds an affected asset whose "
        "patch is not installed (nor deferred with compensation); capped at the matrix.")
    min_cvss: Annotated[float, BeforeValidator(_reject_bool), Field(ge=0, le=10)] = Field(
        7.0, description="Only advisories with a CVSS v3 base score at or above this raise likelihood.")
    critical_cvss: Annotated[float, BeforeValidator(_reject_bool), Field(ge=0, le=10)] = Field(
        9.0, description="An affected, unpatched asset at or above this score that an entry point reaches with "
        "depth below policy is a critical finding.")


class Risk(Strict):
    matrix: Matrix = Matrix()
    tolerable: Level = Field(description="Highest acceptable risk (likelihood x worst consequence).")
    baseline: SLVector = Field(SLVector.uniform(1), description="SL-T of an FR that no scenario raises.")
    bands: Bands = Field(Bands(), description="Where the high and critical risk bands start.")
    band_sl: BandSL = Field(BandSL(), description="SL asked of the touched FRs per risk band.")
    residual_credit: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=9)] = Field(
        2, description="Likelihood levels a scenario drops when the zone's SL-A reaches the scenario's SL on every "
        "FR of each of its techniques; pro rata per technique so credited.")
    scenarios: list[Scenario] = []
    floors: Floors = Field(Floors(), description="Floors under the derived SL-T: top safety consequence, safety "
                           "zones reached from other zones.")
    depth: DepthPolicy = Field(DepthPolicy(), description="Defense-in-depth policy for attack paths.")
    vulnerabilities: VulnerabilityPolicy = Field(VulnerabilityPolicy(), description="How matched advisories "
                                                 "raise likelihood and which are critical.")


class Policy(Strict):
    title: str
    reference: str | None = Field(None, description="Document and version, e.g. 'OT-POL-03 v2.1'.")


class Regulation(Strict):
    title: str
    reference: str | None = None
    applies: str | None = Field(None, description="What it asks of this plant, in a line.")


class Signatory(Strict):
    role: Id = Field(description="Role id (the asset owner approves; integrators and others may sign too).")
    person: str | None = None
    date: dt.date | None = None


class CRS(Strict):
    """The parts of a Cybersecurity Requirements Specification (62443-3-2 ZCR 6) that the rest of the
    plant does not already hold; `zonewarden crs` fills everything else from zones, conduits and risk."""

    version: str | None = Field(None, description="Document version shown on the CRS, e.g. '1.2'.")
    perimeter: str | None = Field(None, description="Where the SUC ends (ZCR 1.1).")
    access_points: list[str] = Field([], description="Ways into the SUC from outside it (ZCR 1.1).")
    environment: list[str] = Field([], description="Operating environment assumptions (ZCR 6.5).")
    threats: list[str] = Field([], description="Threat environment beyond the risk scenarios (ZCR 6.6).")
    policies: dict[Id, Policy] = Field({}, description="Organisational security policies (ZCR 6.7).")
    regulations: dict[Id, Regulation] = Field({}, description="Regulatory requirements (ZCR 6.9).")
    approvals: list[Signatory] = Field([], description="Who signs the CRS (ZCR 7.1); the asset owner always.")


class Plant(Strict):
    zonewarden: Literal[1] = Field(description="Format version of the plant file.")
    include: list[str] = Field([], description="Further plant files or folders, relative to this file.")
    plant: PlantInfo
    roles: dict[Id, Role] = {}
    zones: dict[Id, Zone] = {}
    conduits: dict[Id, Conduit] = {}
    assets: dict[Id, Asset] = {}
    countermeasures: dict[Id, Countermeasure] = {}
    compensations: list[Compensation] = []
    risk: Risk | None = None
    crs: CRS | None = Field(None, description="CRS content the rest of the plant does not hold (62443-3-2 ZCR 6).")

    _sources: Any = PrivateAttr(None)  # model.source.SourceMap: positions for findings

    def owner_approval_missing(self, approved_by: str | None) -> str | None:
        """Why a decision approved by `approved_by` lacks an asset owner's approval, or None: compensations and
        N/A decisions count only once an asset_owner role approved them."""
        if approved_by is None:
            return "it is not approved"
        role = self.roles.get(approved_by)
        if role is None or role.kind != "asset_owner":
            return f"{approved_by!r} is not an asset_owner role"
        return None

    def zone_of(self, endpoint: str) -> str | None:
        """The zone a flow endpoint (a zone id or an asset id) lies in, or None for an unknown id."""
        if endpoint in self.zones:
            return endpoint
        asset = self.assets.get(endpoint)
        return asset.zone if asset else None

    def conduit_directions(self, conduit: Conduit) -> set[tuple[str, str]]:
        """(from zone, to zone) pairs a conduit's flow rules let open conversations; `direction: both` both ways."""
        out = set()
        for rule in conduit.flows:
            a, b = self.zone_of(rule.from_), self.zone_of(rule.to)
            if a and b and a != b:
                out.add((a, b))
                if rule.direction == "both":
                    out.add((b, a))
        return out


def json_schema() -> dict[str, Any]:
    """JSON Schema of a plant file, for editors (yaml-language-server) and other tools."""
    schema = Plant.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "zonewarden plant, format version 1"
    return schema
