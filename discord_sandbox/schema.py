"""Validate the sandbox's REST traffic against Discord's official OpenAPI spec.

Requests the bot sends are checked the way Discord checks them (a 400 "Invalid Form Body"
with Discord's ``errors`` object), path parameters included (``/channels/abc`` is refused
as Discord refuses it), and the sandbox's own replies can be checked against the documented
response schemas, so neither side can drift from real Discord unnoticed.

The spec is read from the path the caller gives (see ``discord_sandbox.validation``); it is
never copied into the repository. Loading parses the JSON and builds the route table; each
(route, method) is compiled on first use and cached.

Validity is decided by jsonschema-rs (Rust, a few microseconds for a typical message body);
the pure-Python jsonschema, over a ``referencing`` registry holding the same spec, runs only
when a value is invalid, to produce the detailed errors Discord's reply is built from.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from discord_sandbox.limits import apply_bot_limits
from discord_sandbox.schema_errors import discord_errors, problem_lines
from discord_sandbox.schema_leniency import apply_leniency
from discord_sandbox.schema_routes import RouteTable, concrete_segments, template_segments

_SPEC_URI = "urn:discord-openapi"
_HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_JSON = "application/json"
_UNKNOWN: Any = object()
_REQUEST_SCHEMAS_CACHED = 4096  # concrete paths (ids vary); the cache starts over when full
_DIGITS = frozenset("0123456789")


def _pointer(tokens: list[str]) -> str:
    """JSON pointer (RFC 6901) from unescaped tokens."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _fragment(pointer: str) -> str:
    """A JSON pointer as a URI fragment: the spec's ``{channel_id}`` must be percent-encoded."""
    return pointer.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


@dataclass(frozen=True)
class _CompiledSchema:
    """One schema of the spec: jsonschema-rs decides, jsonschema explains a refusal."""

    check: Callable[[Any], bool]
    detailed: Draft202012Validator


class _CompiledSpec:
    """One in-memory copy of the spec, with its schemas compiled on first use."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, DRAFT202012.create_resource(spec)
        )
        self._fast_registry = jsonschema_rs.Registry([(_SPEC_URI, spec)])
        self._compiled: dict[str, _CompiledSchema] = {}  # by JSON pointer into the spec

    def schema_at(self, pointer: str) -> _CompiledSchema:
        compiled = self._compiled.get(pointer)
        if compiled is None:
            reference = {"$ref": f"{_SPEC_URI}#{_fragment(pointer)}"}
            # Formats only annotate (as in jsonschema's default validators); the spec's
            # custom ones such as "snowflake" are checked by their patterns.
            fast = jsonschema_rs.Draft202012Validator(
                reference, registry=self._fast_registry, validate_formats=False
            )
            detailed = Draft202012Validator(
                {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry
            )
            compiled = _CompiledSchema(fast.is_valid, detailed)
            self._compiled[pointer] = compiled
        return compiled


@dataclass(frozen=True)
class _PathParameter:
    name: str
    index: int  # segment of the concrete path it occupies
    schema: _CompiledSchema
    integer: bool  # the spec types it as an integer: digits are read as a number


@dataclass(frozen=True)
class _Request:
    """What a (method, concrete path) is checked against, looked up once per path."""

    path_errors: dict[str, Any] | None  # the path's own verdict, the same for every body
    body: _CompiledSchema | None


class SchemaValidator:
    def __init__(self, spec_text: str) -> None:
        """``spec_text``: the OpenAPI document as JSON text."""
        self._spec_text = spec_text
        # Requests are checked against a copy patched for what Discord accepts beyond the
        # spec (``schema_leniency``) and for a bot's narrower limits (``limits``); replies
        # against the spec as published.
        lenient = json.loads(spec_text)
        apply_leniency(lenient)
        apply_bot_limits(lenient)
        self._requests = _CompiledSpec(lenient)
        self._strict: _CompiledSpec | None = None
        self._paths: Mapping[str, Any] = lenient.get("paths", {})
        self._routes = RouteTable(
            (template, [m for m in operations if m in _HTTP_METHODS])
            for template, operations in self._paths.items()
        )
        self._request_pointers: dict[tuple[str, str], str | None] = {}
        self._path_parameters: dict[tuple[str, str], list[_PathParameter]] = {}
        # (method, concrete path) -> what to check: the route lookup, once per path.
        self._request_schemas: dict[tuple[str, str], _Request | None] = {}
        self._response_pointers: dict[tuple[str, str, int], str | None] = {}

    def _responses(self) -> _CompiledSpec:
        if self._strict is None:
            self._strict = _CompiledSpec(json.loads(self._spec_text))
        return self._strict

    @classmethod
    def load(cls, spec_path: str | os.PathLike[str]) -> SchemaValidator | None:
        """None (after printing ONE line to stderr saying validation is off) when the file
        is missing or is not a JSON document."""
        path = Path(spec_path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(
                f"sandbox: Discord OpenAPI spec not found at {path}; "
                "request/response schema validation is off",
                file=sys.stderr,
            )
            return None
        except (OSError, UnicodeDecodeError) as error:
            print(
                f"sandbox: cannot read the Discord OpenAPI spec at {path} ({error}); "
                "request/response schema validation is off",
                file=sys.stderr,
            )
            return None
        try:
            return cls(text)
        except (ValueError, KeyError, TypeError) as error:
            print(
                f"sandbox: {path} is not Discord's OpenAPI spec ({error!r}); "
                "request/response schema validation is off",
                file=sys.stderr,
            )
            return None

    def match_route(self, method: str, concrete_path: str) -> str | None:
        """The spec path template, e.g. '/channels/{channel_id}/messages'."""
        return self._routes.match(method, concrete_path)

    def validate_request(self, method: str, concrete_path: str, body: Any) -> dict[str, Any] | None:
        """concrete_path like '/channels/123/messages' (without the /api/v10 prefix); body
        None when the request has none. Returns Discord's `errors` object for a 400 50035
        Invalid Form Body (the path's parameters first, as Discord reads them first), or None
        when valid or when the route is not in the spec."""
        key = (method, concrete_path)
        request: _Request | None = self._request_schemas.get(key, _UNKNOWN)
        if request is _UNKNOWN:
            request = self._request(method, concrete_path)
            if len(self._request_schemas) >= _REQUEST_SCHEMAS_CACHED:
                self._request_schemas.clear()
            self._request_schemas[key] = request
        if request is None:
            return None
        if request.path_errors is not None:
            return request.path_errors
        compiled = request.body
        if compiled is None or body is None or compiled.check(body):
            return None
        # An empty tree would mean jsonschema-rs and jsonschema disagree; jsonschema is the
        # reference, so the body passes.
        return discord_errors(compiled.detailed.iter_errors(body)) or None

    def _request(self, method: str, concrete_path: str) -> _Request | None:
        template = self.match_route(method, concrete_path)
        if template is None:
            return None
        pointer = self._request_pointer(template, method.lower())
        body = None if pointer is None else self._requests.schema_at(pointer)
        segments = concrete_segments(concrete_path)
        errors: dict[str, Any] = {}
        for parameter in self._path_parameters_of(template, method.lower()):
            value: Any = segments[parameter.index]
            if parameter.integer and value and set(value.removeprefix("-")) <= _DIGITS:
                value = int(value)
            if not parameter.schema.check(value):
                tree = discord_errors(parameter.schema.detailed.iter_errors(value))
                if tree:
                    errors[parameter.name] = tree
        return _Request(errors or None, body)

    def _path_parameters_of(self, template: str, method: str) -> list[_PathParameter]:
        """The path parameters the spec declares a schema for (the operation's declaration
        of a name wins over the path item's)."""
        key = (template, method)
        known = self._path_parameters.get(key)
        if known is not None:
            return known
        positions = {
            segment[1:-1]: index
            for index, segment in enumerate(template_segments(template))
            if segment.startswith("{") and segment.endswith("}")
        }
        item = self._paths[template]
        declared: dict[str, list[str]] = {}
        for tokens in (["parameters"], [method, "parameters"]):
            node: Any = item
            for token in tokens:
                node = node.get(token, {}) if isinstance(node, dict) else {}
            for index, parameter in enumerate(node if isinstance(node, list) else []):
                if (
                    isinstance(parameter, dict)
                    and parameter.get("in") == "path"
                    and parameter.get("name") in positions
                    and "schema" in parameter
                ):
                    place = ["paths", template, *tokens, str(index), "schema"]
                    declared[parameter["name"]] = place
        parameters = []
        for name, place in declared.items():
            schema = self._requests.schema_at(_pointer(place))
            raw: Any = item
            for token in place[2:]:
                raw = raw[int(token)] if isinstance(raw, list) else raw[token]
            parameters.append(
                _PathParameter(name, positions[name], schema, raw.get("type") == "integer")
            )
        self._path_parameters[key] = parameters
        return parameters

    def validate_response(
        self, method: str, concrete_path: str, status: int, body: Any
    ) -> list[str]:
        """Problems of the sandbox's own reply against the spec's response schema for that
        status (empty list = ok)."""
        template = self.match_route(method, concrete_path)
        if template is None:
            return [f"{method.upper()} {concrete_path}: no such route in the spec"]
        if self._response_object(template, method.lower(), status) is None:
            return [f"{method.upper()} {template}: status {status} is not documented"]
        pointer = self._response_pointer(template, method.lower(), status)
        if pointer is None:
            if body is None or body == b"" or body == "":
                return []
            return [f"{method.upper()} {template} {status}: the spec documents no body"]
        compiled = self._responses().schema_at(pointer)
        if compiled.check(body):
            return []
        return problem_lines(compiled.detailed.iter_errors(body)) or []

    def _request_pointer(self, template: str, method: str) -> str | None:
        key = (template, method)
        if key not in self._request_pointers:
            operation = self._paths[template].get(method, {})
            content = operation.get("requestBody", {}).get("content", {})
            pointer = None
            if _JSON in content and "schema" in content[_JSON]:
                pointer = _pointer(
                    ["paths", template, method, "requestBody", "content", _JSON, "schema"]
                )
            self._request_pointers[key] = pointer
        return self._request_pointers[key]

    def _response_object(
        self, template: str, method: str, status: int
    ) -> tuple[list[str], Mapping[str, Any]] | None:
        """(location in the spec as unescaped pointer tokens, response object) documented for
        ``status`` (exactly, else as ``4XX``, else ``default``), following a ``$ref``."""
        responses = self._paths[template][method].get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                tokens = ["paths", template, method, "responses", key]
                response = responses[key]
                ref = response.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/"):
                    tokens = [_unescape(token) for token in ref[2:].split("/")]
                    response = self._requests.spec
                    for token in tokens:
                        response = response[token]
                return tokens, response
        return None

    def _response_pointer(self, template: str, method: str, status: int) -> str | None:
        key = (template, method, status)
        if key not in self._response_pointers:
            found = self._response_object(template, method, status)
            pointer = None
            if found is not None:
                tokens, response = found
                if "schema" in response.get("content", {}).get(_JSON, {}):
                    pointer = _pointer([*tokens, "content", _JSON, "schema"])
            self._response_pointers[key] = pointer
        return self._response_pointers[key]
