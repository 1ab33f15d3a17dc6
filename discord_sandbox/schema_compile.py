"""Compile the JSON-Schema subset used by Discord's OpenAPI spec into fast validity checks.

jsonschema interprets a schema on every call (about 2.5 ms for a typical message body with
embeds and buttons, mostly spent resolving ``$ref`` and evolving validators), which is more
than ten times the sandbox's budget per request. Here each schema node becomes one Python
closure returning ``True``/``False``; a message body then takes tens of microseconds.

The checks only answer "valid or not". When a body is invalid, the caller asks jsonschema
for the detailed errors, so the two must agree: these checks follow jsonschema's Draft 2020-12
semantics for every keyword the spec uses (``bool`` is not an integer, ``1.0`` is, ``enum``
compares without confusing ``True`` and ``1``...). A keyword outside that subset raises
:class:`UnsupportedSchemaError`, and the caller then uses jsonschema alone for that schema
rather than risk a silently wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Sized
from typing import Any

from discord_sandbox.schema_fused import fused_check

Check = Callable[[Any], bool]

# Keywords that only annotate: they never make an instance invalid (format checking is off,
# as with jsonschema's default validators).
_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "format",
        "contentEncoding",
        "contentMediaType",
        "deprecated",
        "examples",
        "default",
        "readOnly",
        "writeOnly",
        "$comment",
        "$schema",
        "$id",
    }
)

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}


_NO_TAG = object()


class UnsupportedSchemaError(Exception):
    """The schema uses a keyword these checks do not implement."""


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema's ``const``/``enum`` define it (``True`` is not ``1``)."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    if isinstance(one, (list, dict)) or isinstance(two, (list, dict)):
        return False
    return bool(one == two)


def _is_json_type(instance: Any, name: str) -> bool:
    """jsonschema's type semantics for values that are not of an exact JSON type."""
    if isinstance(instance, bool):
        return name == "boolean"
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if name == "number":
        return isinstance(instance, (int, float))
    if name == "array":
        return isinstance(instance, list)
    if name == "object":
        return isinstance(instance, dict)
    return isinstance(instance, _PY_TYPES[name])


def _is_number(instance: Any) -> bool:
    return isinstance(instance, (int, float)) and not isinstance(instance, bool)


class SchemaCompiler:
    """Compiles schemas of one JSON document (the spec); ``$ref`` must be local (``#/...``)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self._by_pointer: dict[str, Check] = {}

    def compile_pointer(self, pointer: str) -> Check:
        """The check for the schema at JSON pointer ``pointer`` (e.g. ``/components/...``)."""
        known = self._by_pointer.get(pointer)
        if known is not None:
            return known
        # Schemas are recursive (a container holds components, which may be containers):
        # publish a trampoline before compiling so a cycle refers to it instead of recursing.
        slot: list[Check] = []

        def trampoline(instance: Any) -> bool:
            return slot[0](instance)

        self._by_pointer[pointer] = trampoline
        try:
            compiled = self._compile(self._resolve(pointer))
        except BaseException:
            del self._by_pointer[pointer]
            raise
        slot.append(compiled)
        self._by_pointer[pointer] = compiled
        return compiled

    def _resolve(self, pointer: str) -> Any:
        node: Any = self._document
        for token in pointer.split("/")[1:]:
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def _compile(self, schema: Any) -> Check:
        if schema is True:
            return _always_valid
        if schema is False:
            return _never_valid
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(f"schema is not an object: {schema!r}")
        generic: list[Check] = []  # compiled on first use: only unusual values need it

        def keyword_by_keyword(instance: Any) -> bool:
            if not generic:
                generic.append(self._compile_keywords(schema))
            return generic[0](instance)

        fused = fused_check(schema, keyword_by_keyword, self.compile_subschema)
        if fused is not None:
            return fused
        return self._compile_keywords(schema)

    def _compile_keywords(self, schema: dict[str, Any]) -> Check:
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            builder = _KEYWORD_BUILDERS.get(keyword)
            if builder is not None:
                checks.append(builder(self, value, schema))
            else:
                raise UnsupportedSchemaError(f"unsupported keyword {keyword!r}")
        return _all_of_checks(checks)

    def type_tags(self, schema: Any) -> frozenset[Any] | None:
        """The values a branch allows for its ``type`` property, when it pins them with
        ``enum``/``const`` of ints or strings at its top level (through ``$ref``s)."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 16:
            if set(schema) - {"$ref", "description", "title"}:
                return None  # siblings of $ref: not a plain alias, do not guess
            schema = self._resolve(str(schema["$ref"])[1:])
            seen += 1
        if not isinstance(schema, dict):
            return None
        tag_schema = (schema.get("properties") or {}).get("type")
        if not isinstance(tag_schema, dict):
            return None
        if "enum" in tag_schema:
            values = list(tag_schema["enum"])
        elif "const" in tag_schema:
            values = [tag_schema["const"]]
        else:
            return None
        if not all(type(v) is int or type(v) is str for v in values):
            return None
        return frozenset(values)

    def compile_subschema(self, schema: Any) -> Check:
        if isinstance(schema, dict) and set(schema) == {"$ref"}:
            return self._compile_ref(schema["$ref"])
        return self._compile(schema)

    def _compile_ref(self, ref: Any) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise UnsupportedSchemaError(f"non-local $ref {ref!r}")
        return self.compile_pointer(ref[1:])


def _always_valid(instance: Any) -> bool:
    return True


def _never_valid(instance: Any) -> bool:
    return False


def _all_of_checks(checks: Sequence[Check]) -> Check:
    if not checks:
        return _always_valid
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)

    def check_all(instance: Any) -> bool:
        for check in frozen:
            if not check(instance):
                return False
        return True

    return check_all


# Each builder receives the compiler, the keyword's value and the whole schema object.
Builder = Callable[[SchemaCompiler, Any, Mapping[str, Any]], Check]


def _build_ref(compiler: SchemaCompiler, ref: Any, schema: Mapping[str, Any]) -> Check:
    return compiler._compile_ref(ref)


def _build_type(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    unknown = [name for name in names if name not in _PY_TYPES]
    if unknown:
        raise UnsupportedSchemaError(f"unknown type {unknown!r}")
    exact: set[type] = set()
    for name in names:
        exact.update(_PY_TYPES[name])
    if "number" not in names and "integer" in names:
        exact.discard(float)  # floats are integers only when whole: decided below
    exact_types = frozenset(exact)
    type_names = tuple(names)

    def check_type(instance: Any) -> bool:
        if type(instance) in exact_types:
            return True
        return any(_is_json_type(instance, name) for name in type_names)

    return check_type


def _build_enum(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    allowed = list(value)
    if all(type(item) in (int, str) for item in allowed):
        # Fast path for the spec's usual enums of ints or strings: a set lookup, excluding
        # bools (``True == 1`` in Python, not in JSON Schema) and whole floats handled below.
        allowed_set = frozenset(allowed)

        def check_scalar_enum(instance: Any) -> bool:
            kind = type(instance)
            if kind is int or kind is str:
                return instance in allowed_set
            return any(json_equal(instance, item) for item in allowed)

        return check_scalar_enum

    def check_enum(instance: Any) -> bool:
        return any(json_equal(instance, item) for item in allowed)

    return check_enum


def _build_const(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _build_enum(compiler, [value], schema)


def _build_properties(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    by_name = {name: compiler.compile_subschema(sub) for name, sub in value.items()}
    extra_schema = schema.get("additionalProperties", True)
    check_extra = None if extra_schema is True else compiler.compile_subschema(extra_schema)

    def check_properties(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for name, item in instance.items():
            check = by_name.get(name, check_extra)
            if check is not None and not check(item):
                return False
        return True

    return check_properties


def _build_additional_properties(
    compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]
) -> Check:
    if "properties" in schema:
        return _always_valid  # folded into the ``properties`` check
    return _build_properties(compiler, {}, schema)


def _build_required(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    names = tuple(value)

    def check_required(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for name in names:
            if name not in instance:
                return False
        return True

    return check_required


def _build_items(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    if not isinstance(value, dict) and not isinstance(value, bool):
        raise UnsupportedSchemaError("array form of items")
    check_item = compiler.compile_subschema(value)

    def check_items(instance: Any) -> bool:
        if not isinstance(instance, list):
            return True
        for item in instance:
            if not check_item(item):
                return False
        return True

    return check_items


def _build_unique_items(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    if not value:
        return _always_valid

    def check_unique(instance: Any) -> bool:
        if not isinstance(instance, list):
            return True
        for index, item in enumerate(instance):
            for other in instance[index + 1 :]:
                if json_equal(item, other):
                    return False
        return True

    return check_unique


def _size_check(kind: type[Sized], bound: int, is_max: bool) -> Check:
    def check_size(instance: Any) -> bool:
        if not isinstance(instance, kind):
            return True
        size = len(instance)
        return size <= bound if is_max else size >= bound

    return check_size


def _build_max_length(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _size_check(str, int(value), is_max=True)


def _build_min_length(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _size_check(str, int(value), is_max=False)


def _build_max_items(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _size_check(list, int(value), is_max=True)


def _build_min_items(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _size_check(list, int(value), is_max=False)


def _build_max_properties(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _size_check(dict, int(value), is_max=True)


def _build_min_properties(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _size_check(dict, int(value), is_max=False)


def _build_maximum(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    def check_maximum(instance: Any) -> bool:
        return not _is_number(instance) or bool(instance <= value)

    return check_maximum


def _build_minimum(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    def check_minimum(instance: Any) -> bool:
        return not _is_number(instance) or bool(instance >= value)

    return check_minimum


def _build_pattern(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    search = re.compile(value).search

    def check_pattern(instance: Any) -> bool:
        return not isinstance(instance, str) or search(instance) is not None

    return check_pattern


def _build_all_of(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _all_of_checks([compiler.compile_subschema(sub) for sub in value])


def _build_any_of(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _union_check(compiler, value, exactly_one=False)


def _build_one_of(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _union_check(compiler, value, exactly_one=True)


def _constants_only(branches: Any) -> list[Any] | None:
    """The values of a union whose branches are all distinct bare ``const``s, else None."""
    values: list[Any] = []
    for branch in branches:
        if not isinstance(branch, dict) or "const" not in branch:
            return None
        if set(branch) - {"const", "title", "description"}:
            return None
        if any(json_equal(branch["const"], seen) for seen in values):
            return None
        values.append(branch["const"])
    return values


def _union_check(compiler: SchemaCompiler, value: Any, *, exactly_one: bool) -> Check:
    """``anyOf`` / ``oneOf``. Discord's unions of objects are tagged by their ``type`` field
    (components, interaction callbacks, command options): when every branch pins ``type``
    with ``enum``/``const``, only the branches accepting the instance's tag are tried. The
    others would fail on that very property, so skipping them changes no answer."""
    constants = _constants_only(value)
    if constants is not None:
        # Discord's enums are unions of titled constants ({"title": "PONG", "const": 1}):
        # with distinct values at most one branch can match, so it is one ``enum`` check.
        return _build_enum(compiler, constants, {})
    branches = tuple(compiler.compile_subschema(sub) for sub in value)
    tags = [compiler.type_tags(sub) for sub in value]
    by_tag: dict[Any, tuple[Check, ...]] | None = None
    if all(branch_tags is not None for branch_tags in tags):
        grouped: dict[Any, list[Check]] = {}
        for branch, branch_tags in zip(branches, tags, strict=True):
            for tag in branch_tags or ():
                grouped.setdefault(tag, []).append(branch)
        by_tag = {tag: tuple(checks) for tag, checks in grouped.items()}

    def check_union(instance: Any) -> bool:
        candidates = branches
        if by_tag is not None and type(instance) is dict:
            tag = instance.get("type", _NO_TAG)
            if type(tag) is int or type(tag) is str:
                candidates = by_tag.get(tag, ())
        matched = False
        for branch in candidates:
            if branch(instance):
                if not exactly_one:
                    return True
                if matched:
                    return False
                matched = True
        return matched

    return check_union


def _build_not(compiler: SchemaCompiler, value: Any, schema: Mapping[str, Any]) -> Check:
    inner = compiler.compile_subschema(value)

    def check_not(instance: Any) -> bool:
        return not inner(instance)

    return check_not


_KEYWORD_BUILDERS: dict[str, Builder] = {
    "$ref": _build_ref,
    "type": _build_type,
    "enum": _build_enum,
    "const": _build_const,
    "properties": _build_properties,
    "additionalProperties": _build_additional_properties,
    "required": _build_required,
    "items": _build_items,
    "uniqueItems": _build_unique_items,
    "maxLength": _build_max_length,
    "minLength": _build_min_length,
    "maxItems": _build_max_items,
    "minItems": _build_min_items,
    "maxProperties": _build_max_properties,
    "minProperties": _build_min_properties,
    "maximum": _build_maximum,
    "minimum": _build_minimum,
    "pattern": _build_pattern,
    "allOf": _build_all_of,
    "anyOf": _build_any_of,
    "oneOf": _build_one_of,
    "not": _build_not,
}
