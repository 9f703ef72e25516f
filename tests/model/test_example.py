"""The bundled example uses every field of the format (issue 2): a model field that no example
entity sets is a field nobody has seen working end to end."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from zonewarden.model.load import read_raw
from zonewarden.model.plant import Plant

from ..conftest import EXAMPLE


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds, and how: 'one', 'list' or 'dict' (of models)."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "one"
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], "list"
    if origin is dict and len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return args[1], "dict"
    for a in args:
        m, how = _model_of(a)
        if m is not None:
            return m, how
    return None, ""


def _unused(model: type[BaseModel], instances: list[dict], where: str) -> list[str]:
    missing = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        values = [i[key] for i in instances if isinstance(i, dict) and key in i]
        if not values:
            missing.append(f"{where}.{key}")
            continue
        sub, how = _model_of(field.annotation)
        if sub is None:
            continue
        if how == "one":
            children = [v for v in values if isinstance(v, dict)]
        elif how == "list":
            children = [x for v in values if isinstance(v, list) for x in v]
        else:
            children = [x for v in values if isinstance(v, dict) for x in v.values()]
        missing += _unused(sub, children, f"{where}.{key}")
    return missing


def test_example_uses_every_field_of_the_format():
    data = read_raw(EXAMPLE).data
    assert _unused(Plant, [data], "plant") == []
