"""What a route handler receives, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from discord_sandbox.rest.body import UploadedFile
from discord_sandbox.rest.errors import field_error, invalid_form_body

if TYPE_CHECKING:
    from multidict import MultiMapping

    from discord_sandbox.server import Sandbox


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None  # None with 204
    # ``body`` already serialised (its JSON bytes), when the handler needed them anyway.
    encoded: bytes | None = None


@dataclass(slots=True)
class RequestContext:
    sb: Sandbox
    method: str
    route: str  # template, e.g. /channels/{channel_id}/messages
    path: str  # concrete path without the /api/v10 prefix
    params: dict[str, str]
    query: MultiMapping[str]
    body: Any
    files: list[UploadedFile] = field(default_factory=list)
    reason: str | None = None  # X-Audit-Log-Reason

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (Discord answers 50035 for anything else)."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise invalid_form_body(
                field_error([], "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            )
        return self.body
