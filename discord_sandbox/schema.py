"""Validate the sandbox's REST traffic against Discord's official OpenAPI spec.

Requests the bot sends are checked the way Discord checks them (a 400 "Invalid Form Body"
with Discord's ``errors`` object), and the sandbox's own replies can be checked against the
documented response schemas, so neither side can drift from real Discord unnoticed.

The spec is read from ``DISCORD_OPENAPI_SPEC`` or ``shared/discord-api/openapi.json`` beside
the repository; it is never copied into the repository. Loading only parses the JSON and
builds the route table; each (route, method) is compiled on first use and cached.

Validity is decided by checks compiled from the spec (``schema_compile``), which are fast
enough for thousands of requests per second; jsonschema's Draft 2020-12 validator, over a
``referencing`` registry holding the spec, runs only when a body is invalid, to produce the
detailed errors (it is ten times slower, which only matters on the happy path).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from discord_sandbox.limits import apply_bot_limits
from discord_sandbox.schema_compile import Check, SchemaCompiler, UnsupportedSchemaError
from discord_sandbox.schema_errors import discord_errors, problem_lines
from discord_sandbox.schema_leniency import apply_leniency
from discord_sandbox.schema_routes import RouteTable

SPEC_ENV_VAR = "DISCORD_OPENAPI_SPEC"
_SPEC_URI = "urn:discord-openapi"
_HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_JSON = "application/json"
_UNKNOWN: Any = object()
_REQUEST_SCHEMAS_CACHED = 4096  # concrete paths (ids vary); the cache starts over when full


def default_spec_path() -> Path:
    """``$DISCORD_OPENAPI_SPEC``, else ``shared/discord-api/openapi.json`` beside the repo."""
    configured = os.environ.get(SPEC_ENV_VAR)
    if configured:
        return Path(configured)
    repository = Path(__file__).resolve().parents[1]
    return repository.parent / "shared" / "discord-api" / "openapi.json"


def _pointer(tokens: list[str]) -> str:
    """JSON pointer (RFC 6901) from unescaped tokens."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


@dataclass(frozen=True)
class _CompiledSchema:
    """One schema of the spec, as a fast check plus jsonschema for the error details."""

    check: Check
    detailed: Draft202012Validator


class _CompiledSpec:
    """One in-memory copy of the spec, with its schemas compiled on first use."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, DRAFT202012.create_resource(spec)
        )
        self._compiler = SchemaCompiler(spec)
        self._compiled: dict[str, _CompiledSchema] = {}  # by JSON pointer into the spec

    def schema_at(self, pointer: str) -> _CompiledSchema:
        compiled = self._compiled.get(pointer)
        if compiled is None:
            detailed = Draft202012Validator(
                {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry
            )
            try:
                check = self._compiler.compile_pointer(pointer)
            except UnsupportedSchemaError:
                check = detailed.is_valid  # slower, but never wrong
            compiled = _CompiledSchema(check, detailed)
            self._compiled[pointer] = compiled
        return compiled


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
        # (method, concrete path) -> request schema: the route lookup, once per path.
        self._request_schemas: dict[tuple[str, str], Any] = {}
        self._response_pointers: dict[tuple[str, str, int], str | None] = {}

    def _responses(self) -> _CompiledSpec:
        if self._strict is None:
            self._strict = _CompiledSpec(json.loads(self._spec_text))
        return self._strict

    @classmethod
    def load(cls, spec_path: str | os.PathLike[str] | None = None) -> SchemaValidator | None:
        """None (after printing ONE warning line to stderr saying validation is off) when the
        file is missing."""
        path = Path(spec_path) if spec_path is not None else default_spec_path()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(
                f"sandbox: Discord OpenAPI spec not found at {path}; "
                "request/response schema validation is off",
                file=sys.stderr,
            )
            return None
        return cls(text)

    def match_route(self, method: str, concrete_path: str) -> str | None:
        """The spec path template, e.g. '/channels/{channel_id}/messages'."""
        return self._routes.match(method, concrete_path)

    def validate_request(self, method: str, concrete_path: str, body: Any) -> dict[str, Any] | None:
        """concrete_path like '/channels/123/messages' (without the /api/v10 prefix). Returns
        Discord's `errors` object for a 400 50035 Invalid Form Body, or None when valid or when
        the route has no JSON request schema."""
        key = (method, concrete_path)
        compiled = self._request_schemas.get(key, _UNKNOWN)
        if compiled is _UNKNOWN:
            compiled = self._request_schema(method, concrete_path)
            if len(self._request_schemas) >= _REQUEST_SCHEMAS_CACHED:
                self._request_schemas.clear()
            self._request_schemas[key] = compiled
        if compiled is None:
            return None
        if compiled.check(body):
            return None
        errors = discord_errors(compiled.detailed.iter_errors(body))
        # An empty tree would mean the fast check and jsonschema disagree; jsonschema is the
        # reference, so the body passes.
        return errors or None

    def _request_schema(self, method: str, concrete_path: str) -> _CompiledSchema | None:
        template = self.match_route(method, concrete_path)
        if template is None:
            return None
        pointer = self._request_pointer(template, method.lower())
        if pointer is None:
            return None
        return self._requests.schema_at(pointer)

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
