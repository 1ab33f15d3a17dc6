"""JSON encoding/decoding on the hot paths: orjson when it is installed (several times faster;
optional, not a dependency), the standard library otherwise. Output is compact either way."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None  # type: ignore[assignment]

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

if orjson is not None:
    _OPTIONS = orjson.OPT_NON_STR_KEYS

    def dumps_bytes(value: Any) -> bytes:
        return orjson.dumps(value, option=_OPTIONS)

    def dumps(value: Any) -> str:
        return orjson.dumps(value, option=_OPTIONS).decode()

    def loads(data: bytes | str) -> Any:
        return orjson.loads(data)

else:  # pragma: no cover

    def dumps_bytes(value: Any) -> bytes:
        return _encode(value).encode()

    def dumps(value: Any) -> str:
        return _encode(value)

    def loads(data: bytes | str) -> Any:
        return json.loads(data)
