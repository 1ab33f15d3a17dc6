"""Single-closure checks for the schema shapes that dominate Discord's spec.

Most nodes of a request body are a nullable string with a length limit, an integer with
bounds, or an object with properties; compiled keyword by keyword, each costs three or four
nested closure calls. These fused versions answer in one call for values of the expected
JSON type and hand anything unusual (floats, subclasses, bools where ints are allowed...) to
the keyword-by-keyword check, so both always give the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATION_KEYS = frozenset({"title", "description", "format", "contentEncoding", "deprecated"})
_SCALAR_KEYS = frozenset({"type", "maxLength", "minLength", "maximum", "minimum", "pattern"})
_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties"})
_ARRAY_KEYS = frozenset({"type", "items", "maxItems", "minItems"})
_INFINITY = float("inf")


def _type_names(schema: Mapping[str, Any]) -> frozenset[str] | None:
    value = schema.get("type")
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return frozenset(value)
    return None


def fused_check(
    schema: Mapping[str, Any],
    generic: Check,
    compile_subschema: Callable[[Any], Check],
) -> Check | None:
    """A faster equivalent of ``generic`` (the keyword-by-keyword check of ``schema``), or
    None when ``schema`` is not one of the fused shapes."""
    keys = {key for key in schema if key not in _ANNOTATION_KEYS and not key.startswith("x-")}
    names = _type_names(schema)
    if names is None:
        return None
    nullable = "null" in names
    if keys <= _SCALAR_KEYS and names <= {"string", "integer", "boolean", "null"}:
        return _scalar(schema, names, nullable, generic)
    if keys <= _OBJECT_KEYS and names - {"null"} == {"object"}:
        return _object(schema, nullable, generic, compile_subschema)
    if keys <= _ARRAY_KEYS and names - {"null"} == {"array"} and "items" in schema:
        return _array(schema, nullable, generic, compile_subschema)
    return None


def _scalar(
    schema: Mapping[str, Any], names: frozenset[str], nullable: bool, generic: Check
) -> Check:
    strings, integers, booleans = "string" in names, "integer" in names, "boolean" in names
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength", _INFINITY)
    low, high = schema.get("minimum", -_INFINITY), schema.get("maximum", _INFINITY)
    search = re.compile(schema["pattern"]).search if "pattern" in schema else None

    def check_scalar(instance: Any) -> bool:
        kind = type(instance)
        if kind is str:
            if search is not None and search(instance) is None:
                return False
            return strings and shortest <= len(instance) <= longest
        if instance is None:
            return nullable
        if kind is int:
            return integers and low <= instance <= high
        if kind is bool:
            return booleans
        return generic(instance)

    return check_scalar


def _object(
    schema: Mapping[str, Any],
    nullable: bool,
    generic: Check,
    compile_subschema: Callable[[Any], Check],
) -> Check:
    properties = {
        name: compile_subschema(sub) for name, sub in (schema.get("properties") or {}).items()
    }
    extra_schema = schema.get("additionalProperties", True)
    extra = None if extra_schema is True else compile_subschema(extra_schema)
    required = tuple(schema.get("required") or ())

    def check_object(instance: Any) -> bool:
        if type(instance) is dict:
            for name in required:
                if name not in instance:
                    return False
            for name, value in instance.items():
                check = properties.get(name, extra)
                if check is not None and not check(value):
                    return False
            return True
        if instance is None:
            return nullable
        return generic(instance)

    return check_object


def _array(
    schema: Mapping[str, Any],
    nullable: bool,
    generic: Check,
    compile_subschema: Callable[[Any], Check],
) -> Check:
    check_item = compile_subschema(schema["items"])
    shortest, longest = schema.get("minItems", 0), schema.get("maxItems", _INFINITY)

    def check_array(instance: Any) -> bool:
        if type(instance) is list:
            if not shortest <= len(instance) <= longest:
                return False
            for item in instance:
                if not check_item(item):
                    return False
            return True
        if instance is None:
            return nullable
        return generic(instance)

    return check_array
