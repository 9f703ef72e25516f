"""Security-level vectors: the 7 foundational requirements (FRs) and an SL 0-4 for each.

IEC 62443 rates zones, conduits and components per FR, never with one number; a scalar is only
shorthand for seven equal values. Targets combine by max, achievements by min (design §4).
See docs/model.md#security-level-vectors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

FRS: tuple[str, ...] = ("IAC", "UC", "SI", "DC", "RDF", "TRE", "RA")
FR_NAMES: dict[str, str] = {
    "IAC": "Identification and authentication control",
    "UC": "Use control",
    "SI": "System integrity",
    "DC": "Data confidentiality",
    "RDF": "Restricted data flow",
    "TRE": "Timely response to events",
    "RA": "Resource availability",
}
MIN_SL, MAX_SL = 0, 4


class SLError(ValueError):
    """A value that is not an SL vector; the message says what is expected."""


def _level(value: Any, where: str) -> int:
    # bool is an int subclass: `true` in YAML must not pass as SL 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise SLError(f"{where}: expected an integer security level 0-4, got {value!r}")
    if not MIN_SL <= value <= MAX_SL:
        raise SLError(f"{where}: security level {value} is outside 0-4")
    return value


class SLVector:
    """Seven security levels in FR order (IAC, UC, SI, DC, RDF, TRE, RA); immutable and hashable."""

    __slots__ = ("_v",)
    _v: tuple[int, ...]

    def __init__(self, levels: Iterable[int]) -> None:
        v = tuple(levels)
        if len(v) != len(FRS):
            raise SLError(f"an SL vector has {len(FRS)} values ({' '.join(FRS)}), got {len(v)}")
        for fr, x in zip(FRS, v, strict=True):
            _level(x, fr)
        object.__setattr__(self, "_v", v)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("SLVector is immutable")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def uniform(cls, level: int) -> SLVector:
        return cls((_level(level, "SL"),) * len(FRS))

    @classmethod
    def parse(cls, value: Any) -> SLVector:
        """Read a scalar (all FRs), a list of 7 in FR order, a mapping by FR name, or `{2 2 2 1 2 1 1}`."""
        if isinstance(value, SLVector):
            return value
        if isinstance(value, Mapping):
            unknown = [k for k in value if str(k).upper() not in FRS]
            if unknown:
                raise SLError(f"unknown FR {unknown[0]!r}; expected some of {', '.join(FRS)}")
            missing = [fr for fr in FRS if not any(str(k).upper() == fr for k in value)]
            if missing:
                raise SLError(f"SL mapping lacks {', '.join(missing)}; give all seven FRs")
            by_fr = {str(k).upper(): v for k, v in value.items()}
            return cls(_level(by_fr[fr], fr) for fr in FRS)
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{") and text.endswith("}"):
                parts = text[1:-1].split()
                if all(p.isdigit() for p in parts):
                    return cls(int(p) for p in parts)
            raise SLError(f"expected an SL 0-4, a list of 7, or a mapping by FR; got {value!r}")
        if isinstance(value, list | tuple):
            if len(value) != len(FRS):
                raise SLError(f"an SL list has {len(FRS)} values ({' '.join(FRS)}), got {len(value)}")
            return cls(_level(x, fr) for fr, x in zip(FRS, value, strict=True))
        return cls.uniform(_level(value, "SL"))

    # -- access -------------------------------------------------------------------------------
    def __getitem__(self, fr: int | str) -> int:
        if isinstance(fr, str):
            return self._v[FRS.index(fr.upper())]
        return self._v[fr]

    def __iter__(self) -> Iterator[int]:
        return iter(self._v)

    def __len__(self) -> int:
        return len(self._v)

    def as_dict(self) -> dict[str, int]:
        return dict(zip(FRS, self._v, strict=True))

    def as_list(self) -> list[int]:
        return list(self._v)

    # -- comparison and combination -----------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, SLVector) and self._v == other._v

    def __hash__(self) -> int:
        return hash(self._v)

    def meets(self, target: SLVector) -> bool:
        """True when every FR reaches the target's level (SL-A >= SL-T per FR)."""
        return all(a >= t for a, t in zip(self._v, target._v, strict=True))

    def __ge__(self, other: SLVector) -> bool:
        return self.meets(other)

    def __le__(self, other: SLVector) -> bool:
        return other.meets(self)

    def shortfall(self, target: SLVector) -> dict[str, int]:
        """Per FR, how many levels this vector lies below the target (only FRs that fall short)."""
        return {fr: t - a for fr, a, t in zip(FRS, self._v, target._v, strict=True) if a < t}

    def max(self, *others: SLVector) -> SLVector:
        return SLVector(max(col) for col in zip(self._v, *(o._v for o in others), strict=True))

    def min(self, *others: SLVector) -> SLVector:
        return SLVector(min(col) for col in zip(self._v, *(o._v for o in others), strict=True))

    __or__ = max
    __and__ = min

    @staticmethod
    def combine_max(vectors: Iterable[SLVector]) -> SLVector | None:
        """Targets aggregate by max: the zone must resist its worst scenario."""
        out: SLVector | None = None
        for v in vectors:
            out = v if out is None else out.max(v)
        return out

    @staticmethod
    def combine_min(vectors: Iterable[SLVector]) -> SLVector | None:
        """Achievements aggregate by min: a zone is as strong as its weakest part."""
        out: SLVector | None = None
        for v in vectors:
            out = v if out is None else out.min(v)
        return out

    # -- display ------------------------------------------------------------------------------
    def __str__(self) -> str:
        return "{" + " ".join(str(x) for x in self._v) + "}"

    def __repr__(self) -> str:
        return f"SLVector({list(self._v)})"

    # -- pydantic integration -----------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> SLVector:
            try:
                return cls.parse(value)
            except SLError as e:
                raise PydanticCustomError("sl_vector", str(e)) from None

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.as_list())
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return sl_json_schema()


def sl_json_schema() -> dict[str, Any]:
    """JSON Schema of every form an SL vector may take in a plant file."""
    level = {"type": "integer", "minimum": MIN_SL, "maximum": MAX_SL}
    return {
        "description": "Security level 0-4 for all seven FRs, a list of 7 in FR order "
        "(IAC UC SI DC RDF TRE RA), or a mapping by FR name.",
        "anyOf": [
            level,
            {"type": "array", "items": level, "minItems": 7, "maxItems": 7},
            {"type": "object", "properties": {fr: level for fr in FRS}, "required": list(FRS),
             "additionalProperties": False},
        ],
    }
