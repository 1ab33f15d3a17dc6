"""Reading a number that names something (a meeting #12, a document id) from user text."""

from __future__ import annotations

# SQLite integers are signed 64-bit; anything larger cannot name a row.
_MAX_ID = 2**63 - 1


def plain_id(text: str) -> int | None:
    """The id in ``text`` ("12", "#12"), or None: only ASCII digits count ("²" does not),
    and numbers too large to be a stored id are None rather than an overflow."""
    cleaned = text.strip().lstrip("#")
    if not cleaned or not cleaned.isascii() or not cleaned.isdigit():
        return None
    value = int(cleaned)
    return value if value <= _MAX_ID else None
