"""Request body decoding: JSON, or multipart/form-data with ``payload_json`` + ``files[n]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import BodyPartReader, hdrs, web

from discord_sandbox.rest.errors import DiscordError, field_error, invalid_form_body


@dataclass(slots=True)
class UploadedFile:
    field: str  # "files[0]"
    filename: str
    data: bytes
    content_type: str | None

    @property
    def index(self) -> int | None:
        if self.field.startswith("files[") and self.field.endswith("]"):
            try:
                return int(self.field[6:-1])
            except ValueError:
                return None
        return None


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile], bytes | None]:
    """Return (parsed JSON body or None, uploaded files, the JSON text that was parsed)."""
    if not request.body_exists:
        return None, [], None
    # The raw header rather than ``request.content_type``, which parses it with the email
    # package on every request; the test is the same (type compared case-insensitively).
    if request.headers.get(hdrs.CONTENT_TYPE, "").lstrip()[:10].lower() == "multipart/":
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, [], None
    try:
        return orjson.loads(raw), [], raw
    except ValueError as exc:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from exc


async def _read_multipart(
    request: web.Request,
) -> tuple[Any, list[UploadedFile], bytes | None]:
    reader = await request.multipart()
    payload: Any = None
    payload_bytes: bytes | None = None
    files: list[UploadedFile] = []
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        name = part.name or ""
        data = await part.read(decode=True)
        if name == "payload_json":
            try:
                payload = orjson.loads(data)
                payload_bytes = bytes(data)
            except ValueError as exc:
                raise invalid_form_body(
                    field_error(["payload_json"], "BASE_TYPE_BAD_JSON", "Invalid JSON.")
                ) from exc
        elif part.filename is not None:
            files.append(
                UploadedFile(
                    field=name,
                    filename=part.filename,
                    data=bytes(data),
                    content_type=part.headers.get("Content-Type"),
                )
            )
    return payload, files, payload_bytes
