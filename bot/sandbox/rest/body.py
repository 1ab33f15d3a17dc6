"""Request body decoding: JSON, or multipart/form-data with ``payload_json`` + ``files[n]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox.jsonfast import loads
from bot.sandbox.rest.errors import DiscordError, field_error, invalid_form_body


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


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """Return (parsed JSON body or None, uploaded files)."""
    if not request.body_exists:
        return None, []
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return loads(raw), []
    except ValueError as exc:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from exc


async def _read_multipart(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    reader = await request.multipart()
    payload: Any = None
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
                payload = loads(data)
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
    return payload, files
