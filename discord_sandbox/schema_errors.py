"""Turn jsonschema errors into the ``errors`` object of Discord's 400 "Invalid Form Body".

Discord nests errors by JSON path and puts a list under ``_errors`` at each failing leaf::

    {"embeds": {"0": {"title": {"_errors": [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}]}}}}

Unions (``anyOf``/``oneOf``) are the hard part: jsonschema reports "is not valid under any of
the given schemas", which says nothing useful. We descend into the branch the body was meant
for: branches whose discriminator (the ``type`` field, or the JSON type of the value itself)
does not match are dropped, and among the rest the one with the fewest errors wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

_UNION_KEYWORDS = frozenset({"anyOf", "oneOf"})
_TYPE_NAMES = {
    "string": "string",
    "integer": "int",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
    "null": "null",
}


def leaf_errors(errors: Iterable[ValidationError]) -> list[ValidationError]:
    """The concrete errors, with every union error replaced by its best branch's errors."""
    leaves: list[ValidationError] = []
    for error in errors:
        if error.validator in _UNION_KEYWORDS and error.context:
            leaves.extend(leaf_errors(_best_branch(error)))
        else:
            leaves.append(error)
    return leaves


def _best_branch(error: ValidationError) -> list[ValidationError]:
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branch = sub.relative_schema_path[0]
        by_branch.setdefault(int(branch), []).append(sub)
    plausible = [errs for errs in by_branch.values() if not any(map(_is_discriminator, errs))]
    if plausible:
        return min(plausible, key=len)
    merged = _merged_choices(error)
    if merged is not None:
        return [merged]
    # A value of the wrong JSON type for a nullable field: say what it should have been.
    for sub in error.context or ():
        if sub.validator == "type" and not sub.relative_path and sub.validator_value != "null":
            return [sub]
    # Nothing matched even by discriminator: report the error jsonschema finds most relevant.
    chosen = best_match(error.context or ())
    return [chosen] if chosen is not None else [error]


def _merged_choices(error: ValidationError) -> ValidationError | None:
    """When every branch refused the same discriminator value (``type: 99`` for an
    interaction callback), one error listing all the accepted values, in the order found."""
    choices: list[Any] = []
    paths = set()
    sample = None
    for sub in error.context or ():
        if _is_discriminator(sub) and sub.validator in ("enum", "const"):
            values: Any = sub.validator_value if sub.validator == "enum" else [sub.validator_value]
            choices.extend(value for value in values if value not in choices)
            paths.add(tuple(sub.absolute_path))
            sample = sub
    if sample is None or len(paths) != 1:
        return None
    return ValidationError(
        f"{sample.instance!r} is not one of {choices!r}",
        validator="enum",
        validator_value=choices,
        instance=sample.instance,
        path=sample.absolute_path,
        schema={"enum": choices},
    )


def _is_discriminator(error: ValidationError) -> bool:
    """Whether the error says the branch is for another kind of value, not a broken one."""
    relative = list(error.relative_path)
    if not relative:
        # The value itself has another JSON type, or is another constant (``type: "null"``).
        return error.validator in ("type", "const", "enum")
    return relative == ["type"] and error.validator in ("const", "enum")


def discord_errors(errors: Iterable[ValidationError]) -> dict[str, Any]:
    """Discord's nested ``errors`` object for the given jsonschema errors."""
    tree: dict[str, Any] = {}
    for error in leaf_errors(errors):
        node = tree
        for part in error_path(error):
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append(discord_error_entry(error))
    return tree


def error_path(error: ValidationError) -> list[str | int]:
    """Where Discord reports the error: a missing field is reported at the field itself."""
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        required: Any = error.validator_value
        missing = [
            name
            for name in required
            if name not in error.instance and error.message.startswith(repr(name))
        ]
        path.extend(missing[:1])
    return path


def problem_lines(errors: Iterable[ValidationError]) -> list[str]:
    """One readable line per error, e.g. ``embeds.0.title: BASE_TYPE_MAX_LENGTH ...``."""
    lines = []
    for error in leaf_errors(errors):
        path = ".".join(str(part) for part in error_path(error)) or "<body>"
        entry = discord_error_entry(error)
        lines.append(f"{path}: {entry['code']}: {entry['message']}")
    return lines


def discord_error_entry(error: ValidationError) -> dict[str, str]:
    validator = str(error.validator)
    value: Any = error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    instance = error.instance
    if validator == "required":
        return _entry("BASE_TYPE_REQUIRED", "This field is required")
    if validator in ("maxLength", "minLength", "maxItems", "minItems"):
        return _length_entry(validator, schema)
    if validator in ("maxProperties", "minProperties"):
        return _entry("BASE_TYPE_BAD_LENGTH", error.message)
    if validator in ("enum", "const"):
        choices = value if validator == "enum" else [value]
        shown = ", ".join(json.dumps(choice) for choice in choices)
        return _entry("BASE_TYPE_CHOICES", f"Value must be one of ({shown}).")
    if validator in ("maximum", "exclusiveMaximum"):
        return _entry("NUMBER_TYPE_MAX", f"int value should be less than or equal to {value}.")
    if validator in ("minimum", "exclusiveMinimum"):
        return _entry("NUMBER_TYPE_MIN", f"int value should be greater than or equal to {value}.")
    if validator == "type":
        return _type_entry(value, instance)
    if validator == "pattern" and schema.get("format") == "snowflake":
        return _entry("NUMBER_TYPE_COERCE", f'Value "{instance}" is not snowflake.')
    if validator == "uniqueItems":
        return _entry("BASE_TYPE_UNIQUE", "The list contains duplicate items.")
    return _entry("BASE_TYPE_INVALID", error.message)


def _entry(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _length_entry(validator: str, schema: Mapping[str, Any]) -> dict[str, str]:
    low_key, high_key = (
        ("minLength", "maxLength") if validator.endswith("Length") else ("minItems", "maxItems")
    )
    low, high = schema.get(low_key), schema.get(high_key)
    if low is not None and high is not None:
        return _entry("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
    if validator.startswith("max"):
        return _entry("BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
    return _entry("BASE_TYPE_MIN_LENGTH", f"Must be {low} or more in length.")


def _type_entry(expected: Any, instance: Any) -> dict[str, str]:
    names = [expected] if isinstance(expected, str) else [str(name) for name in expected]
    wanted = [name for name in names if name != "null"] or names
    shown = json.dumps(instance) if not isinstance(instance, (dict, list)) else type(instance)
    first = wanted[0]
    if first == "object":
        return _entry("MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
    if first == "array":
        return _entry("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    if first in ("integer", "number"):
        return _entry("NUMBER_TYPE_COERCE", f"Value {shown} is not {_TYPE_NAMES[first]}.")
    if first == "boolean":
        return _entry("BOOLEAN_TYPE_CONVERT", f"Value {shown} is not a boolean.")
    if first == "string":
        return _entry("STRING_TYPE_CONVERT", f"Could not interpret {shown} as string.")
    return _entry("BASE_TYPE_INVALID", f"Value {shown} is not of type {' or '.join(names)}.")
