"""Live updates for the web client: what changed for each connected user.

The hub listens to every gateway dispatch and every REST call the bot makes (together,
every change of the sandbox's world, ephemeral replies included). On a change it compares,
for each subscriber, what that user sees now with what they were last sent, and queues the
differences as server-sent events: ``message`` (created or changed), ``message_delete``,
``channels``, ``people``, ``commands`` and ``events``. Bursts of changes are compared once,
on the next turn of the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from discord_sandbox.web.view import (
    channel_view,
    commands_view,
    events_view,
    message_signature,
    message_view,
    messages_of,
    people_view,
    visible_channels,
)

if TYPE_CHECKING:
    from discord_sandbox.models import JSON
    from discord_sandbox.rest.log import RestCall
    from discord_sandbox.server import Sandbox

# (event name, JSON text); None closes the stream.
Frame = tuple[str, str] | None


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


@dataclass(eq=False)
class Subscriber:
    user_id: str
    queue: asyncio.Queue[Frame] = field(default_factory=asyncio.Queue)
    sent_messages: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    message_channels: dict[str, str] = field(default_factory=dict)  # message id -> channel id
    sent_parts: dict[str, str] = field(default_factory=dict)  # part name -> JSON text


class Hub:
    def __init__(self, sb: Sandbox) -> None:
        self._sb = sb
        self.subscribers: list[Subscriber] = []
        self._scheduled = False
        self._attached = False

    # ---- wiring ------------------------------------------------------------------------------
    def attach(self) -> None:
        if not self._attached:
            self._sb.gateway.listeners.append(self._on_dispatch)
            self._sb.log.listeners.append(self._on_call)
            self._attached = True

    def detach(self) -> None:
        if self._attached:
            with contextlib.suppress(ValueError):
                self._sb.gateway.listeners.remove(self._on_dispatch)
            with contextlib.suppress(ValueError):
                self._sb.log.listeners.remove(self._on_call)
            self._attached = False
        for sub in self.subscribers:
            sub.queue.put_nowait(None)
        self.subscribers.clear()

    def _on_dispatch(self, event: str, data: JSON) -> None:
        if event not in ("INTERACTION_CREATE", "TYPING_START", "PRESENCE_UPDATE"):
            self.changed()

    def _on_call(self, call: RestCall) -> None:
        if call.method != "GET":
            self.changed()

    def changed(self) -> None:
        """Something may have changed: compare on the next turn of the loop."""
        if self._scheduled or not self.subscribers:
            return
        self._scheduled = True
        asyncio.get_running_loop().call_soon(self._flush)

    # ---- subscribers -------------------------------------------------------------------------
    def subscribe(self, user_id: str) -> Subscriber:
        """A new stream for ``user_id``; it starts with what they see now (a ``state``-like
        baseline: nothing is queued for it, the client reads /api/state after connecting)."""
        sub = Subscriber(user_id)
        self._compare(sub, baseline=True)
        self.subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with contextlib.suppress(ValueError):
            self.subscribers.remove(sub)

    def _flush(self) -> None:
        self._scheduled = False
        for sub in list(self.subscribers):
            self._compare(sub, baseline=False)

    def _compare(self, sub: Subscriber, *, baseline: bool) -> None:
        sb = self._sb
        state = sb.state
        uid = sub.user_id
        if uid not in state.users or not state.guilds:
            return
        channels = visible_channels(sb, uid)
        parts: dict[str, Any] = {
            "channels": [channel_view(state, c, uid) for c in channels],
            "people": people_view(sb),
            "commands": commands_view(sb, uid),
            "events": events_view(sb, uid),
        }
        for name, value in parts.items():
            text = _dumps(value)
            if sub.sent_parts.get(name) != text:
                sub.sent_parts[name] = text
                if not baseline:
                    sub.queue.put_nowait((name, text))
        seen: set[str] = set()
        for channel in channels:
            for msg in messages_of(sb, channel, uid):
                seen.add(msg.id)
                signature = message_signature(state, msg)
                if sub.sent_messages.get(msg.id) != signature:
                    sub.sent_messages[msg.id] = signature
                    sub.message_channels[msg.id] = msg.channel_id
                    if not baseline:
                        sub.queue.put_nowait(("message", _dumps(message_view(sb, msg))))
        for mid in [m for m in sub.sent_messages if m not in seen]:
            del sub.sent_messages[mid]
            channel_id = sub.message_channels.pop(mid, "")
            if not baseline:
                sub.queue.put_nowait(
                    ("message_delete", _dumps({"id": mid, "channel_id": channel_id}))
                )
