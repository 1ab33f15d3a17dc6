"""Loading the (colleague-owned) OpenAPI schema validator without a hard dependency on it."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parents[1]


class Validator(Protocol):
    def validate_request(self, method: str, path: str, body: Any) -> dict[str, Any] | None: ...

    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[str]: ...


def default_spec_path() -> str:
    env = os.environ.get("DISCORD_OPENAPI_SPEC")
    if env:
        return env
    return str(REPO_ROOT.parent / "shared" / "discord-api" / "openapi.json")


def load_validator(spec_path: str) -> Validator | None:
    """``discord_sandbox.schema.SchemaValidator.load(spec)``; None if the module or spec is absent
    (the schema module prints its own warning for a missing file)."""
    try:
        module: Any = importlib.import_module("discord_sandbox.schema")
    except ImportError:
        print(
            f"sandbox: no discord_sandbox.schema module; requests are not validated ({spec_path})"
        )
        return None
    validator: Validator | None = module.SchemaValidator.load(spec_path)
    return validator
