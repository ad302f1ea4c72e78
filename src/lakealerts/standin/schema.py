"""Payload checks against the databricks-sdk's own dataclasses (``AlertV2``, ``Config``, ...).

The SDK's ``from_dict`` accepts anything (missing keys become ``None``, unknown enum values ``None``), so it
cannot tell a bad payload from a good one. This module walks the dataclass fields and their type hints
instead: required fields (no default in the SDK) must be present, values must have the declared JSON type,
enum values must be members, and unknown keys are refused, as a workspace refuses them with
``INVALID_PARAMETER_VALUE``. Because the rules come from the installed SDK, the stand-in follows it when it
is upgraded.
"""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from functools import cache
from types import NoneType, UnionType
from typing import Any

from lakealerts.standin.errors import invalid


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One field of an SDK dataclass: its type hint (``Optional`` removed) and whether the SDK requires it."""

    hint: Any
    required: bool


@cache
def model_fields(model: type) -> dict[str, FieldSpec]:
    """The fields of the SDK dataclass ``model`` by JSON name (the SDK uses the field names as JSON keys)."""
    hints = typing.get_type_hints(model)
    specs: dict[str, FieldSpec] = {}
    for field in dataclasses.fields(model):
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        specs[field.name] = FieldSpec(_strip_optional(hints[field.name]), required)
    return specs


def nested_model(model: type, name: str) -> type | None:
    """The dataclass type of field ``name`` of ``model``, or None if it is a scalar, a list or unknown."""
    spec = model_fields(model).get(name)
    if spec is None or not dataclasses.is_dataclass(spec.hint):
        return None
    return spec.hint if isinstance(spec.hint, type) else None


def check_payload(value: Any, model: type, where: str = "", *, require: bool = True) -> None:
    """Raise a 400 ``INVALID_PARAMETER_VALUE`` unless ``value`` is a valid JSON object for ``model``.

    ``where`` prefixes field paths in messages (e.g. ``"alert"``). With ``require=False`` missing required
    fields are accepted (a PATCH body carries only what its mask names); types and names are still checked.
    """
    _check_object(value, model, where, require)


def _check_object(value: Any, model: type, path: str, require: bool) -> None:
    if not isinstance(value, dict):
        raise invalid(f"Invalid value for {_name(path)}: expected an object, got {_json_type(value)}")
    fields = model_fields(model)
    for key in value:
        if key not in fields:
            raise invalid(f"Unknown field {_name(_join(path, str(key)))}")
    for name, spec in fields.items():
        item = value.get(name)
        if item is None:
            if require and spec.required:
                raise invalid(f"Missing required field: {_join(path, name)}")
            continue
        _check_value(item, spec.hint, _join(path, name), require)


def _check_value(value: Any, hint: Any, path: str, require: bool) -> None:
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(value, list):
            raise invalid(f"Invalid value for {_name(path)}: expected an array, got {_json_type(value)}")
        (item_hint,) = typing.get_args(hint)
        for index, item in enumerate(value):
            _check_value(item, item_hint, f"{path}[{index}]", require)
    elif origin is dict:
        if not isinstance(value, dict):
            raise invalid(f"Invalid value for {_name(path)}: expected an object, got {_json_type(value)}")
    elif dataclasses.is_dataclass(hint) and isinstance(hint, type):
        _check_object(value, hint, path, require)
    elif isinstance(hint, type) and issubclass(hint, Enum):
        allowed = [member.value for member in hint]
        if value not in allowed:
            raise invalid(f"Invalid value for {_name(path)}: {value!r} is not one of {', '.join(allowed)}")
    elif not _scalar_ok(value, hint):
        raise invalid(f"Invalid value for {_name(path)}: expected {_hint_name(hint)}, got {_json_type(value)}")


def _scalar_ok(value: Any, hint: Any) -> bool:
    # JSON has no int/bool distinction problems in Python except that bool is an int: refuse True for 1.
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # Any, or a type the SDK may add later: accept rather than refuse valid payloads


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not NoneType]
        if len(args) == 1:
            return args[0]
    return hint


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _name(path: str) -> str:
    return f"field '{path}'" if path else "the request body"


def _hint_name(hint: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(hint, str(hint))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
