"""Sync application commands only when the command set changed.

Discord rate-limits command registration, and a global sync takes time to
propagate, so the payload is hashed and compared with the last one synced.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def command_set_hash(payload: list[dict[str, Any]], target: str) -> str:
    """A stable hash of the commands as sent to Discord, for one sync target."""
    canonical = json.dumps(
        sorted(payload, key=lambda command: str(command.get("name"))),
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{target}\n{canonical}".encode()).hexdigest()
