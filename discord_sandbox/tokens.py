"""Bot tokens in Discord's shape: ``base64(bot user id).<timestamp>.<hmac>``.

Client libraries read the bot's id out of the first part (hikari does so before it connects),
so the sandbox's tokens are built like Discord's: the user id's decimal digits in base64 without
padding, the issue time (seconds, 4 bytes big-endian) in URL-safe base64, and 38 random
URL-safe characters standing for the HMAC.
"""

from __future__ import annotations

import base64
import secrets
import time


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def bot_token(user_id: str, *, issued_at: float | None = None) -> str:
    """A new bot token for the bot user ``user_id`` (a snowflake as a string)."""
    moment = int(time.time() if issued_at is None else issued_at)
    return ".".join(
        (
            _b64(user_id.encode("ascii")),
            _b64(moment.to_bytes(4, "big")),
            secrets.token_urlsafe(28),
        )
    )


def token_user_id(token: str) -> str:
    """The bot user id a token was issued for (ValueError if it is not in Discord's shape)."""
    first = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError("not a Discord bot token") from error
    if not decoded.isdigit():
        raise ValueError("not a Discord bot token")
    return decoded
