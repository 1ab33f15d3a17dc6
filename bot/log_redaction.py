"""Secrets kept out of the logs, whatever the level.

At DEBUG discord.py logs every REST route it calls and every gateway payload it receives.
Interaction callback and followup routes carry the interaction's token in their path
(``/interactions/<id>/<token>/callback``, ``/webhooks/<application>/<token>``), interaction
payloads carry it as ``"token"``, and a request's headers carry the bot token
(``Authorization: Bot <token>``). Anyone holding an interaction token can answer as Agora
for 15 minutes; the bot token is the bot. :class:`SecretsFilter`, on every handler of the
root logger (:func:`install`), rewrites each record's message, arguments and traceback
with those replaced by ``<redacted>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "<redacted>"

# The token after an interaction id or a webhook (application) id in a route or URL.
_ROUTE_TOKEN = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?'\"]+")
# "token": "..." in JSON, 'token': '...' in a Python dict's repr, token=... in a query.
_FIELD_TOKEN = re.compile(
    r"""(?P<key>(?P<q>["']?)(?:token|access_token)(?P=q)\s*[:=]\s*)(?P<v>"[^"]*"|'[^']*'|[^\s,}&]+)""",
    re.IGNORECASE,
)
# An Authorization header, as a header line or inside a dict's repr.
_AUTHORIZATION = re.compile(
    r"""(?P<key>["']?authorization["']?\s*[:=]\s*["']?)(?:Bot\s+|Bearer\s+)?[^"'\s,}]+""",
    re.IGNORECASE,
)
# The shape of a Discord bot token (user id in base64 . timestamp . HMAC).
_BOT_TOKEN_SHAPE = re.compile(r"\b[MNO][\w-]{23,27}\.[\w-]{6}\.[\w-]{27,}\b")


def _quoted(match: re.Match[str]) -> str:
    value = match["v"]
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match['key']}{quote}{REDACTED}{quote}"


class SecretsFilter(logging.Filter):
    """Redacts interaction tokens and the bot token from every record it sees; never drops
    a record. ``secrets`` are literal values to hide too (the bot token in use)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {secret for secret in secrets if secret}

    def add_secret(self, secret: str) -> None:
        if secret:
            self.secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        text = _ROUTE_TOKEN.sub(lambda m: m[1] + REDACTED, text)
        text = _FIELD_TOKEN.sub(_quoted, text)
        text = _AUTHORIZATION.sub(lambda m: m["key"] + REDACTED, text)
        return _BOT_TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(secrets: Iterable[str] = ()) -> SecretsFilter:
    """Put one :class:`SecretsFilter` on every handler of the root logger (again after each
    ``logging.basicConfig(force=True)``); returns it so more secrets can be added."""
    found: SecretsFilter | None = None
    root = logging.getLogger()
    for handler in root.handlers:
        for existing in handler.filters:
            if isinstance(existing, SecretsFilter):
                found = existing
    the_filter = found or SecretsFilter()
    for secret in secrets:
        the_filter.add_secret(secret)
    for handler in root.handlers:
        if the_filter not in handler.filters:
            handler.addFilter(the_filter)
    return the_filter


def hide(secret: str) -> None:
    """Hide one more literal value (a token learnt after logging was configured)."""
    install((secret,))
