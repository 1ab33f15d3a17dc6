"""Discord's JSON error replies (``{"code": ..., "message": ...}``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class DiscordError(Exception):
    """Raised by route handlers; turned into Discord's error JSON by the request wrapper."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            data["errors"] = self.errors
        return data


def unauthorized() -> DiscordError:
    return DiscordError(401, 0, "401: Unauthorized")


def invalid_form_body(errors: dict[str, Any]) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def field_error(path: list[str | int], code: str, message: str) -> dict[str, Any]:
    """Build Discord's nested ``errors`` object for one field, e.g. ``["embeds", 0, "title"]``."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path):
        node = {str(part): node}
    return node


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def missing_access() -> DiscordError:
    return DiscordError(403, 50001, "Missing Access")


_UNKNOWN: Mapping[str, int] = MappingProxyType(
    {
        "application": 10002,
        "channel": 10003,
        "guild": 10004,
        "member": 10007,
        "message": 10008,
        "role": 10011,
        "user": 10013,
        "webhook": 10015,
        "interaction": 10062,
        "application command": 10063,
        "guild scheduled event": 10070,
        "overwrite": 10009,
    }
)


# Discord's own wording where it is not "Unknown <Kind>" in title case.
_UNKNOWN_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "interaction": "Unknown interaction",
        "application command": "Unknown application command",
    }
)


def unknown(kind: str) -> DiscordError:
    """404 ``Unknown <Kind>`` with Discord's code and wording (10003 Unknown Channel, 10062
    Unknown interaction, ...)."""
    message = _UNKNOWN_MESSAGES.get(kind)
    if message is None:
        message = "Unknown " + " ".join(w.capitalize() for w in kind.split())
    return DiscordError(404, _UNKNOWN[kind], message)


def already_acknowledged() -> DiscordError:
    return DiscordError(400, 40060, "Interaction has already been acknowledged.")


def invalid_webhook_token() -> DiscordError:
    return DiscordError(401, 50027, "Invalid Webhook Token")


def bad_request(code: int, message: str) -> DiscordError:
    return DiscordError(400, code, message)
