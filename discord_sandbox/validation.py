"""Where the sandbox finds Discord's OpenAPI spec, and loading the validator built from it.

The sandbox assumes no checkout layout: the spec is the path given to ``Sandbox(spec_path=...)``,
else ``$DISCORD_OPENAPI_SPEC``; without either, requests are not validated (one line says so).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Protocol

SPEC_ENV_VAR = "DISCORD_OPENAPI_SPEC"


class Validator(Protocol):
    def validate_request(self, method: str, path: str, body: Any) -> dict[str, Any] | None: ...

    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[str]: ...


def given_spec_path(spec_path: str | os.PathLike[str] | None = None) -> Path | None:
    """``spec_path``, else ``$DISCORD_OPENAPI_SPEC``, else None."""
    if spec_path is not None and str(spec_path):
        return Path(spec_path)
    configured = os.environ.get(SPEC_ENV_VAR)
    return Path(configured) if configured else None


def default_spec_path() -> str | None:
    """The spec when the caller named none: ``$DISCORD_OPENAPI_SPEC``, else None."""
    path = given_spec_path()
    return None if path is None else str(path)


def load_validator(spec_path: str | os.PathLike[str] | None) -> Validator | None:
    """The validator for the spec at ``spec_path``; None, after ONE line on stderr saying
    why, when no spec was given or it cannot be read."""
    path = given_spec_path(spec_path)
    if path is None:
        print(
            "sandbox: no Discord OpenAPI spec given (Sandbox(spec_path=...) or "
            f"{SPEC_ENV_VAR}); request validation is off",
            file=sys.stderr,
        )
        return None
    from discord_sandbox.schema import SchemaValidator  # jsonschema-rs, only when validating

    return SchemaValidator.load(path)
