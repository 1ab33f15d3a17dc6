"""Scenario files: scripted user actions against the sandbox, printing what the bot did.

``python run_bot.py --sandbox --script FILE`` runs one step per line of FILE (a JSON object;
blank lines and ``#`` comments are skipped)::

    {"user": "alice", "slash": "initiative info", "options": {"initiative": "Humble Lamppost"}}
    {"user": "alice", "autocomplete": "initiative info", "option": "initiative", "value": "lamp"}
    {"user": "alice", "say": "text", "channel": "humble-lamppost"}
    {"user": "alice", "thread": "Pilot results", "channel": "humble-lamppost", "say": "first post"}
    {"user": "alice", "click": "Going", "message": "last"}
    {"user": "alice", "modal": {"Title": "..."}}
    {"user": "admin", "create_role": "Moderators", "permissions": ["kick_members"]}
    {"user": "admin", "create_channel": "name", "type": "text"}
    {"user": "admin", "give_role": "Moderators", "to": "bob"}
    {"user": "admin", "take_role": "Moderators", "from": "bob"}
    {"user": "bob", "interested": "Meeting title"}  {"user": "bob", "uninterested": "..."}
    {"join": "carol"}  {"leave": "carol"}  {"wait": 1.5}  {"restart": true}

A user step may add ``"repeat": N`` (done N times in a row) and ``"expect": "refused"``
(optionally with ``"says": "text"``): the run goes on when the step is refused, and fails
when it is not (see :func:`refusal_reply` for what counts as refused). An option value
``{"name": "a.toml", "text": "..."}`` is a file for an attachment option.

After each step it waits for the bot to settle and prints one JSON line per bot action seen
in the sandbox's REST log during the step (see :func:`describe_call` for the kinds). The exit
code is 0 when every step ran, 1 when a step failed (the interaction failed or timed out, the
sandbox refused one of the bot's requests, the driver refused the action, a refusal expected
did not come), 2 when the file cannot be used. The console (:mod:`discord_sandbox.console`)
reuses the observation half.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from discord_sandbox.driver import ClientRefused
from discord_sandbox.models import ChannelType
from discord_sandbox.permissions import Permission

if TYPE_CHECKING:
    from discord_sandbox.rest.log import RestCall
    from discord_sandbox.server import Sandbox

EPHEMERAL_FLAG = 1 << 6
# How long the REST log must stay unchanged before a step counts as finished, and the most a
# step may take to settle (a deferred reply has the sandbox's deferred_timeout on top).
QUIET_SECONDS = 0.15
SETTLE_LIMIT_SECONDS = 15.0
_POLL_SECONDS = 0.02
_ACTION_KEYS = (
    "slash",
    "autocomplete",
    "say",
    "thread",
    "click",
    "modal",
    "create_role",
    "create_channel",
    "give_role",
    "take_role",
    "interested",
    "uninterested",
)
_WORLD_KEYS = ("join", "leave", "wait", "restart")
MAX_REPEAT = 1000
CHANNEL_TYPES = {
    "text": ChannelType.GUILD_TEXT,
    "voice": ChannelType.GUILD_VOICE,
    "category": ChannelType.GUILD_CATEGORY,
    "announcement": ChannelType.GUILD_ANNOUNCEMENT,
    "stage": ChannelType.GUILD_STAGE_VOICE,
    "forum": ChannelType.GUILD_FORUM,
    "media": ChannelType.GUILD_MEDIA,
}
# Discord's permission flags (lower case, as discord.py and the docs name them) that the
# sandbox's Permission class does not list.
_MORE_PERMISSIONS = {
    "priority_speaker": 1 << 8,
    "stream": 1 << 9,
    "send_tts_messages": 1 << 12,
    "use_external_emojis": 1 << 18,
    "view_guild_insights": 1 << 19,
    "speak": 1 << 21,
    "mute_members": 1 << 22,
    "deafen_members": 1 << 23,
    "move_members": 1 << 24,
    "use_vad": 1 << 25,
    "change_nickname": 1 << 26,
    "manage_guild_expressions": 1 << 30,
    "request_to_speak": 1 << 32,
    "use_external_stickers": 1 << 37,
    "use_embedded_activities": 1 << 39,
    "moderate_members": 1 << 40,
    "view_creator_monetization_analytics": 1 << 41,
    "use_soundboard": 1 << 42,
    "create_guild_expressions": 1 << 43,
    "use_external_sounds": 1 << 45,
    "send_voice_messages": 1 << 46,
    "send_polls": 1 << 49,
    "use_external_apps": 1 << 50,
}


class RunningBot(Protocol):
    async def stop(self) -> None: ...


BotFactory = Callable[[], Awaitable[RunningBot]]
Action = dict[str, Any]


class ScenarioError(Exception):
    """The scenario file cannot be run (bad JSON, unknown step shape)."""


@dataclass(frozen=True)
class Step:
    index: int  # counting from 0
    line: int  # in the file, counting from 1
    spec: dict[str, Any]

    @property
    def kind(self) -> str:
        for key in (*_WORLD_KEYS, "thread", *_ACTION_KEYS):
            if key in self.spec:
                return key
        raise AssertionError("parse_scenario admits no step without a kind")


# ---- parsing ------------------------------------------------------------------------------
def parse_scenario(text: str) -> list[Step]:
    steps: list[Step] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            spec = json.loads(line)
        except json.JSONDecodeError as error:
            raise ScenarioError(f"line {number}: malformed JSON: {error.msg}") from error
        if not isinstance(spec, dict):
            raise ScenarioError(f"line {number}: a step must be a JSON object")
        _check_step_shape(spec, number)
        steps.append(Step(len(steps), number, spec))
    return steps


def _check_step_shape(spec: dict[str, Any], number: int) -> None:
    kinds = [key for key in (*_ACTION_KEYS, *_WORLD_KEYS) if key in spec]
    if "thread" in kinds and "say" in kinds:
        kinds.remove("say")  # a thread step carries its first post in "say"
    if len(kinds) != 1:
        shown = ", ".join(kinds) or "none"
        raise ScenarioError(
            f"line {number}: a step needs exactly one of "
            f"{', '.join(_ACTION_KEYS + _WORLD_KEYS)} (found: {shown})"
        )
    kind = kinds[0]
    if kind in _ACTION_KEYS and not isinstance(spec.get("user"), str):
        raise ScenarioError(f'line {number}: a "{kind}" step needs "user"')
    needs = {
        "autocomplete": ("option", "value"),
        "say": ("channel",),
        "thread": ("channel", "say"),
    }.get(kind, ())
    missing = [key for key in needs if key not in spec]
    if missing:
        raise ScenarioError(f'line {number}: a "{kind}" step needs {", ".join(missing)}')
    if kind == "modal" and not isinstance(spec["modal"], dict):
        raise ScenarioError(f'line {number}: "modal" takes an object of label: value')
    if kind == "wait" and not isinstance(spec["wait"], (int, float)):
        raise ScenarioError(f'line {number}: "wait" takes a number of seconds')
    _check_by_hand(spec, kind, number)
    _check_modifiers(spec, kind, number)
    for value in (
        (spec.get("options") or {}).values() if isinstance(spec.get("options"), dict) else ()
    ):
        if isinstance(value, dict) and not _is_file(value):
            raise ScenarioError(
                f'line {number}: a file option is {{"name": "a.toml", "text": "..."}}'
            )


def _check_by_hand(spec: dict[str, Any], kind: str, number: int) -> None:
    if kind in (
        "create_role",
        "create_channel",
        "give_role",
        "take_role",
        "interested",
        "uninterested",
    ) and not isinstance(spec[kind], str):
        raise ScenarioError(f'line {number}: "{kind}" takes a name')
    if kind == "create_role":
        try:
            permission_bits(spec.get("permissions", []))
        except ValueError as error:
            raise ScenarioError(f"line {number}: {error}") from None
    if kind == "create_channel" and channel_type(spec.get("type", "text")) is None:
        raise ScenarioError(
            f'line {number}: "type" is one of {", ".join(CHANNEL_TYPES)} (or a number)'
        )
    if kind == "give_role" and not isinstance(spec.get("to"), str):
        raise ScenarioError(f'line {number}: a "give_role" step needs "to" (the member)')
    if kind == "take_role" and not isinstance(spec.get("from", spec.get("to")), str):
        raise ScenarioError(f'line {number}: a "take_role" step needs "from" (the member)')


def _check_modifiers(spec: dict[str, Any], kind: str, number: int) -> None:
    if "expect" in spec and spec["expect"] != "refused":
        raise ScenarioError(f'line {number}: "expect" takes "refused" (the only expectation)')
    if "says" in spec and (spec.get("expect") != "refused" or not isinstance(spec["says"], str)):
        raise ScenarioError(f'line {number}: "says" is text, with "expect": "refused"')
    if "repeat" in spec:
        repeat = spec["repeat"]
        if kind not in _ACTION_KEYS:
            raise ScenarioError(f'line {number}: "repeat" goes on a user step')
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
            raise ScenarioError(f'line {number}: "repeat" takes a count from 1 to {MAX_REPEAT}')


def _is_file(value: dict[str, Any]) -> bool:
    return set(value) == {"name", "text"} and all(isinstance(v, str) for v in value.values())


def permission_bits(value: Any) -> int:
    """Discord permission flag names (``kick_members``...) or an integer, as bits."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError('"permissions" takes a list of names like "kick_members", or a number')
    bits = 0
    for name in value:
        key = str(name).lower()
        bit = _MORE_PERMISSIONS.get(key, getattr(Permission, key.upper(), None))
        if not isinstance(bit, int) or key in ("all", "everyone_default"):
            raise ValueError(f"unknown permission {name!r} (use Discord's names, e.g. ban_members)")
        bits |= bit
    return bits


def channel_type(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return CHANNEL_TYPES.get(str(value).lower())


# ---- observing ----------------------------------------------------------------------------
@dataclass
class Observation:
    """A mark in the sandbox's records; :meth:`actions` is everything the bot did since."""

    sandbox: Sandbox
    log_index: int = 0
    failure_index: int = 0
    interaction_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def start(cls, sandbox: Sandbox) -> Observation:
        return cls(
            sandbox,
            len(sandbox.log),
            len(sandbox.failures),
            frozenset(sandbox.interactions.by_id),
        )

    def calls(self) -> list[RestCall]:
        return list(self.sandbox.log.calls[self.log_index :])

    def actions(self) -> list[Action]:
        actions = [action for call in self.calls() if (action := describe_call(self.sandbox, call))]
        for failure in self.sandbox.failures[self.failure_index :]:
            actions.append(
                _action(
                    "error",
                    _channel_name(self.sandbox, _failure_channel(self.sandbox, failure)),
                    content=str(failure),
                    reason="interaction failed",
                )
            )
        return actions

    def _pending_interactions(self) -> bool:
        """An interaction started during this step still waits for its (deferred) answer."""
        for interaction_id, record in self.sandbox.interactions.by_id.items():
            if interaction_id in self.interaction_ids or record.failure is not None:
                continue
            if record.response_type is None:
                return True
            if record.deferred and not record.completed.is_set() and record.response_type == 5:
                return True
        return False

    async def settle(
        self, *, quiet: float = QUIET_SECONDS, limit: float = SETTLE_LIMIT_SECONDS
    ) -> None:
        """Return once the bot made no REST call for ``quiet`` seconds and no interaction of
        this step is unanswered (bounded by ``limit`` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        seen = len(self.sandbox.log)
        changed_at = loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(_POLL_SECONDS)
            now = loop.time()
            if len(self.sandbox.log) != seen:
                seen, changed_at = len(self.sandbox.log), now
            elif now - changed_at >= quiet and not self._pending_interactions():
                return


def _failure_channel(sandbox: Sandbox, failure: Any) -> str | None:
    record = sandbox.interactions.by_id.get(getattr(failure, "interaction_id", ""))
    return record.channel_id if record is not None else None


def is_refusal(call: RestCall) -> bool:
    """A request the sandbox refused (429s are retried by discord.py, so they do not count)."""
    return call.status >= 400 and call.status != 429


def _action(kind: str, channel: str | None, **fields: Any) -> Action:
    action: Action = {
        "kind": kind,
        "channel": channel,
        "content": None,
        "embeds": [],
        "components": [],
        "ephemeral": False,
    }
    action.update(fields)
    return action


def _message_fields(body: Any, response: Any = None) -> dict[str, Any]:
    data = body if isinstance(body, dict) else {}
    flags = int(data.get("flags") or 0)
    if isinstance(response, dict) and "flags" in response:
        flags |= int(response.get("flags") or 0)
    return {
        "content": data.get("content"),
        "embeds": data.get("embeds") or [],
        "components": data.get("components") or [],
        "ephemeral": bool(flags & EPHEMERAL_FLAG),
    }


def _segments(path: str) -> list[str]:
    return path.split("?", 1)[0].strip("/").split("/")


def _channel_name(sandbox: Sandbox, channel_id: str | None) -> str | None:
    if channel_id is None:
        return None
    channel = sandbox.state.channels.get(str(channel_id))
    if channel is None:
        return str(channel_id)
    if channel.type == ChannelType.DM:
        names = [_user_name(sandbox, uid) for uid in channel.recipients]
        return "@" + ",".join(names)
    return channel.name


def _user_name(sandbox: Sandbox, user_id: str) -> str:
    user = sandbox.state.users.get(str(user_id))
    return user.username if user is not None else str(user_id)


def _role_name(sandbox: Sandbox, role_id: str) -> str:
    for guild in sandbox.state.guilds.values():
        role = guild.roles.get(str(role_id))
        if role is not None:
            return role.name
    return str(role_id)


def _record_for_path(sandbox: Sandbox, path: str) -> Any:
    """The interaction behind a callback or interaction-webhook path, if any."""
    parts = _segments(path)
    interactions = sandbox.interactions
    if parts[0] == "interactions" and len(parts) > 1:
        return interactions.by_id.get(parts[1])
    if parts[0] == "webhooks" and len(parts) > 2:
        return interactions.by_token.get(parts[2])
    return None


def describe_call(sandbox: Sandbox, call: RestCall) -> Action | None:
    """The bot action a REST call represents, or None for reads and bookkeeping.

    Kinds: ``response`` (interaction reply, ``deferred`` when type 5), ``update`` (a
    component's message updated, type 6/7), ``autocomplete`` (``choices``), ``modal``
    (``title``, ``fields``), ``followup``, ``edit`` (a message edited), ``delete``,
    ``message`` (posted in a channel or thread), ``dm``, ``thread``, ``channel``,
    ``channel_edit``, ``channel_delete``, ``permissions``, ``role``, ``role_edit``,
    ``role_delete``, ``member_roles`` (``user`` with ``added``/``removed``/``roles``),
    ``scheduled_event`` (``action``: create/edit/delete), ``reaction``, ``pin``,
    ``commands`` (registered command ``names``), ``call`` (any other write) and ``error``
    (a refused request: ``status``, ``method``, ``route``, ``error``).
    """
    if call.method in ("GET", "HEAD"):
        return _error(sandbox, call) if is_refusal(call) else None
    if is_refusal(call):
        return _error(sandbox, call)
    describe = _DESCRIBERS.get((call.method, call.route))
    if describe is not None:
        return describe(sandbox, call)
    if call.route.endswith("/typing") or call.route == "/users/@me/channels":
        return None
    return _action("call", None, method=call.method, route=call.route)


def _error(sandbox: Sandbox, call: RestCall) -> Action:
    response = call.response if isinstance(call.response, dict) else {}
    record = _record_for_path(sandbox, call.path)
    channel = _channel_name(sandbox, record.channel_id) if record is not None else None
    return _action(
        "error",
        channel,
        content=f"{call.method} {call.path} -> {call.status} {response.get('message', '')}".strip(),
        status=call.status,
        method=call.method,
        route=call.route,
        error=response,
    )


def _interaction_callback(sandbox: Sandbox, call: RestCall) -> Action:
    record = _record_for_path(sandbox, call.path)
    channel = _channel_name(sandbox, record.channel_id) if record is not None else None
    body = call.body if isinstance(call.body, dict) else {}
    kind = int(body.get("type") or 0)
    raw_data = body.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    if kind == 8:
        choices = [choice.get("name") for choice in data.get("choices") or []]
        return _action("autocomplete", channel, choices=choices, ephemeral=True)
    if kind == 9:
        return _action(
            "modal",
            channel,
            ephemeral=True,
            title=data.get("title"),
            custom_id=data.get("custom_id"),
            fields=modal_field_labels(data.get("components") or []),
        )
    fields = _message_fields(data)
    if kind in (6, 7):
        return _action("update", channel, deferred=kind == 6, **fields)
    return _action("response", channel, deferred=kind == 5, **fields)


def modal_field_labels(components: Iterable[Any]) -> list[str]:
    """Labels of a modal's inputs: text inputs in action rows, or label components."""
    labels: list[str] = []
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 18:  # label wrapping one input
            labels.append(str(component.get("label", "")))
        elif component.get("type") == 1:
            labels.extend(
                str(child.get("label", ""))
                for child in component.get("components") or []
                if isinstance(child, dict)
            )
    return labels


def _followup(sandbox: Sandbox, call: RestCall) -> Action:
    record = _record_for_path(sandbox, call.path)
    channel = _channel_name(sandbox, record.channel_id) if record is not None else None
    fields = _message_fields(call.body, call.response)
    if record is not None and isinstance(call.response, dict):
        fields["ephemeral"] |= call.response.get("id") == record.original_message_id and bool(
            record.ephemeral
        )
    return _action("followup", channel, **fields)


def _webhook_edit(sandbox: Sandbox, call: RestCall) -> Action:
    record = _record_for_path(sandbox, call.path)
    channel = _channel_name(sandbox, record.channel_id) if record is not None else None
    fields = _message_fields(call.body, call.response)
    original = _segments(call.path)[-1] == "@original"
    if record is not None and original:
        fields["ephemeral"] |= bool(record.ephemeral)
    return _action(
        "edit", channel, message="original" if original else _segments(call.path)[-1], **fields
    )


def _webhook_delete(sandbox: Sandbox, call: RestCall) -> Action:
    record = _record_for_path(sandbox, call.path)
    channel = _channel_name(sandbox, record.channel_id) if record is not None else None
    return _action("delete", channel, message=_segments(call.path)[-1])


def _channel_message(sandbox: Sandbox, call: RestCall) -> Action:
    channel_id = _segments(call.path)[1]
    channel = sandbox.state.channels.get(channel_id)
    kind = "dm" if channel is not None and channel.type == ChannelType.DM else "message"
    action = _action(kind, _channel_name(sandbox, channel_id), **_message_fields(call.body))
    if isinstance(call.response, dict):
        action["message_id"] = call.response.get("id")
    return action


def _message_edit(sandbox: Sandbox, call: RestCall) -> Action:
    parts = _segments(call.path)
    return _action(
        "edit", _channel_name(sandbox, parts[1]), message=parts[3], **_message_fields(call.body)
    )


def _message_delete(sandbox: Sandbox, call: RestCall) -> Action:
    parts = _segments(call.path)
    return _action("delete", _channel_name(sandbox, parts[1]), message=parts[3])


def _thread(sandbox: Sandbox, call: RestCall) -> Action:
    parent = _channel_name(sandbox, _segments(call.path)[1])
    response = call.response if isinstance(call.response, dict) else {}
    body = call.body if isinstance(call.body, dict) else {}
    first_post = body.get("message") if isinstance(body.get("message"), dict) else {}
    return _action(
        "thread", parent, name=response.get("name", body.get("name")), **_message_fields(first_post)
    )


def _channel_create(sandbox: Sandbox, call: RestCall) -> Action:
    response = call.response if isinstance(call.response, dict) else {}
    parent = _channel_name(sandbox, response.get("parent_id"))
    return _action(
        "channel",
        response.get("name"),
        channel_type=response.get("type"),
        parent=parent,
        topic=response.get("topic"),
    )


def _channel_edit(sandbox: Sandbox, call: RestCall) -> Action:
    body = call.body if isinstance(call.body, dict) else {}
    return _action("channel_edit", _channel_name(sandbox, _segments(call.path)[1]), changes=body)


def _channel_delete(sandbox: Sandbox, call: RestCall) -> Action:
    response = call.response if isinstance(call.response, dict) else {}
    return _action("channel_delete", response.get("name", _segments(call.path)[1]))


def _permissions(sandbox: Sandbox, call: RestCall) -> Action:
    parts = _segments(call.path)
    target = parts[3]
    name = (
        _role_name(sandbox, target)
        if target != _role_name(sandbox, target)
        else _user_name(sandbox, target)
    )
    body = call.body if isinstance(call.body, dict) else {}
    return _action(
        "permissions",
        _channel_name(sandbox, parts[1]),
        target=name,
        allow=body.get("allow"),
        deny=body.get("deny"),
        removed=call.method == "DELETE",
    )


def _role(sandbox: Sandbox, call: RestCall) -> Action:
    response = call.response if isinstance(call.response, dict) else {}
    kind = {"POST": "role", "PATCH": "role_edit", "DELETE": "role_delete"}[call.method]
    name = response.get("name") or _role_name(sandbox, _segments(call.path)[-1])
    return _action(kind, None, role=name, changes=call.body if call.method == "PATCH" else None)


def _member_role(sandbox: Sandbox, call: RestCall) -> Action:
    parts = _segments(call.path)
    change = "added" if call.method == "PUT" else "removed"
    return _action(
        "member_roles",
        None,
        user=_user_name(sandbox, parts[3]),
        **{change: _role_name(sandbox, parts[5])},
    )


def _member_edit(sandbox: Sandbox, call: RestCall) -> Action:
    parts = _segments(call.path)
    body = call.body if isinstance(call.body, dict) else {}
    user = _user_name(sandbox, parts[3])
    if "roles" in body:
        roles = [_role_name(sandbox, role) for role in body.get("roles") or []]
        return _action("member_roles", None, user=user, roles=roles)
    return _action("member_edit", None, user=user, changes=body)


def _scheduled_event(sandbox: Sandbox, call: RestCall) -> Action:
    response = call.response if isinstance(call.response, dict) else {}
    body = call.body if isinstance(call.body, dict) else {}
    verb = {"POST": "create", "PATCH": "edit", "DELETE": "delete"}[call.method]
    channel = _channel_name(sandbox, response.get("channel_id") or body.get("channel_id"))
    return _action(
        "scheduled_event",
        channel,
        action=verb,
        name=response.get("name", body.get("name")),
        description=response.get("description", body.get("description")),
        start=response.get("scheduled_start_time", body.get("scheduled_start_time")),
        end=response.get("scheduled_end_time", body.get("scheduled_end_time")),
        location=(response.get("entity_metadata") or body.get("entity_metadata") or {}).get(
            "location"
        ),
        status=response.get("status", body.get("status")),
    )


def _reaction(sandbox: Sandbox, call: RestCall) -> Action:
    parts = _segments(call.path)
    return _action(
        "reaction",
        _channel_name(sandbox, parts[1]),
        message=parts[3],
        emoji=parts[5],
        removed=call.method == "DELETE",
    )


def _pin(sandbox: Sandbox, call: RestCall) -> Action:
    parts = _segments(call.path)
    return _action(
        "pin", _channel_name(sandbox, parts[1]), message=parts[-1], removed=call.method == "DELETE"
    )


def _commands(sandbox: Sandbox, call: RestCall) -> Action:
    body = call.body if isinstance(call.body, list) else []
    names = [command.get("name") for command in body if isinstance(command, dict)]
    return _action("commands", None, names=names)


_HOOK = "/webhooks/{webhook_id}/{webhook_token}"
_MESSAGE = "/channels/{channel_id}/messages/{message_id}"
_EVENTS = "/guilds/{guild_id}/scheduled-events"
Describer = Callable[["Sandbox", "RestCall"], Action]
_DESCRIBERS: dict[tuple[str, str], Describer] = {
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"): _interaction_callback,
    ("POST", _HOOK): _followup,
    ("PATCH", _HOOK + "/messages/@original"): _webhook_edit,
    ("PATCH", _HOOK + "/messages/{message_id}"): _webhook_edit,
    ("DELETE", _HOOK + "/messages/@original"): _webhook_delete,
    ("DELETE", _HOOK + "/messages/{message_id}"): _webhook_delete,
    ("POST", "/channels/{channel_id}/messages"): _channel_message,
    ("PATCH", _MESSAGE): _message_edit,
    ("DELETE", _MESSAGE): _message_delete,
    ("POST", "/channels/{channel_id}/threads"): _thread,
    ("POST", _MESSAGE + "/threads"): _thread,
    ("POST", "/guilds/{guild_id}/channels"): _channel_create,
    ("PATCH", "/channels/{channel_id}"): _channel_edit,
    ("DELETE", "/channels/{channel_id}"): _channel_delete,
    ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}"): _permissions,
    ("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}"): _permissions,
    ("POST", "/guilds/{guild_id}/roles"): _role,
    ("PATCH", "/guilds/{guild_id}/roles/{role_id}"): _role,
    ("DELETE", "/guilds/{guild_id}/roles/{role_id}"): _role,
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): _member_role,
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): _member_role,
    ("PATCH", "/guilds/{guild_id}/members/{user_id}"): _member_edit,
    ("POST", _EVENTS): _scheduled_event,
    ("PATCH", _EVENTS + "/{guild_scheduled_event_id}"): _scheduled_event,
    ("DELETE", _EVENTS + "/{guild_scheduled_event_id}"): _scheduled_event,
    ("PUT", _MESSAGE + "/reactions/{emoji_name}/@me"): _reaction,
    ("DELETE", _MESSAGE + "/reactions/{emoji_name}/@me"): _reaction,
    ("PUT", "/channels/{channel_id}/pins/{message_id}"): _pin,
    ("DELETE", "/channels/{channel_id}/pins/{message_id}"): _pin,
    ("PUT", "/channels/{channel_id}/messages/pins/{message_id}"): _pin,
    ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}"): _pin,
    ("PUT", "/applications/{application_id}/commands"): _commands,
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): _commands,
}


# ---- running ------------------------------------------------------------------------------
class StepFailed(Exception):
    """A step could not be carried out; the message says why."""


@dataclass
class BotLifecycle:
    """The running bot, restarted on demand; remembers the instances it started itself."""

    factory: BotFactory
    current: RunningBot | None
    started: list[RunningBot] = field(default_factory=list)

    async def restart(self) -> None:
        if self.current is None:
            raise StepFailed(
                "restart: the running bot was not handed to run_scenario (running=...)"
            )
        await self.current.stop()
        self.current = None
        self.current = await self.factory()
        self.started.append(self.current)

    async def stop_started(self) -> None:
        for bot in reversed(self.started):
            await bot.stop()


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@dataclass
class StepOutcome:
    """What a user step did: the interactions of each repetition, and the driver's refusals
    (Discord's client would not have let the user do it) when a refusal was expected."""

    interactions: list[list[str]] = field(default_factory=list)  # ids, per repetition
    client_refusals: list[str] = field(default_factory=list)


async def perform_step(sandbox: Sandbox, step: Step, bots: BotLifecycle) -> StepOutcome:
    """Carry out one step's user or world action (not the waiting for the bot)."""
    spec = step.spec
    kind = step.kind
    outcome = StepOutcome()
    try:
        if kind == "wait":
            await asyncio.sleep(float(spec["wait"]))
        elif kind == "restart":
            await bots.restart()
        elif kind == "join":
            await _maybe_await(sandbox.join(str(spec["join"])))
        elif kind == "leave":
            await _maybe_await(sandbox.leave(str(spec["leave"])))
        else:
            for _ in range(int(spec.get("repeat", 1))):
                before = set(sandbox.interactions.by_id)
                try:
                    await _user_action(sandbox, kind, spec)
                except ClientRefused as error:
                    if spec.get("expect") != "refused":
                        raise
                    outcome.client_refusals.append(str(error))
                outcome.interactions.append(
                    [iid for iid in sandbox.interactions.by_id if iid not in before]
                )
    except StepFailed:
        raise
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except Exception as error:  # the driver's refusals: unknown command, option, button...
        raise StepFailed(f"{type(error).__name__}: {error}") from error
    return outcome


def _option_value(value: Any) -> Any:
    """A file option ``{"name": ..., "text": ...}`` becomes the driver's (filename, bytes)."""
    if isinstance(value, dict) and _is_file(value):
        return (value["name"], value["text"].encode("utf-8"))
    return value


async def _user_action(sandbox: Sandbox, kind: str, spec: dict[str, Any]) -> None:
    user = sandbox.user(str(spec["user"]))
    options = {str(k): _option_value(v) for k, v in (spec.get("options") or {}).items()}
    if kind == "slash":
        if "channel" in spec:  # where the command is typed; the default is #general
            options["in_channel"] = str(spec["channel"])
        await user.slash(str(spec["slash"]), **options)
    elif kind == "autocomplete":
        await user.autocomplete(
            str(spec["autocomplete"]), str(spec["option"]), spec["value"], **options
        )
    elif kind == "thread":
        await user.start_thread(str(spec["channel"]), str(spec["thread"]), str(spec["say"]))
    elif kind == "say":
        await user.say(str(spec["channel"]), str(spec["say"]))
    elif kind == "click":
        await user.click(spec.get("message", "last"), str(spec["click"]))
    elif kind == "modal":
        await user.submit_modal({str(k): str(v) for k, v in spec["modal"].items()})
    elif kind == "create_role":
        await user.create_role(
            str(spec["create_role"]), permission_bits(spec.get("permissions", []))
        )
    elif kind == "create_channel":
        kind_number = channel_type(spec.get("type", "text"))
        assert kind_number is not None  # checked when parsed
        parent = spec.get("parent")
        await user.create_channel(
            str(spec["create_channel"]), kind_number, parent=None if parent is None else str(parent)
        )
    elif kind == "give_role":  # the member is created on first mention, like any user
        await user.give_role(str(spec["give_role"]), sandbox.user(str(spec["to"])))
    elif kind == "take_role":
        member = sandbox.user(str(spec.get("from", spec.get("to"))))
        await user.take_role(str(spec["take_role"]), member)
    elif kind == "interested":
        await user.interested(str(spec["interested"]))
    elif kind == "uninterested":
        await user.uninterested(str(spec["uninterested"]))


# ---- refusals -----------------------------------------------------------------------------
def refusal_reply(sandbox: Sandbox, interaction_ids: Iterable[str], says: str | None) -> str | None:
    """The text of the bot's refusal when it answered these interactions with one, else None.

    A refusal reply: every interaction was answered (response type 4, or 5 then its
    followup/edit) only with ephemeral messages of plain text (no embeds, components or
    files), never a modal or an update of the clicked message; with ``says``, the text
    contains it (case-insensitive)."""
    state = sandbox.state
    texts: list[str] = []
    records = [sandbox.interactions.by_id[iid] for iid in interaction_ids]
    if not records:
        return None
    for record in records:
        if record.failure is not None or record.response_type not in (4, 5):
            return None
        if not record.ephemeral:
            return None
        for message_id in (record.original_message_id, *record.followup_ids):
            message = state.message_by_id(message_id or "")
            if message is None:
                continue
            if message.id not in state.ephemeral_messages:
                return None
            if message.embeds or message.components or message.attachments:
                return None
            if message.content:
                texts.append(message.content)
    text = "\n".join(texts)
    if not text or (says is not None and says.lower() not in text.lower()):
        return None
    return text


def _other_writes(observation: Observation) -> list[RestCall]:
    """The bot's writes during the step besides answering interactions."""
    return [
        call
        for call in observation.calls()
        if call.method not in ("GET", "HEAD")
        and not is_refusal(call)
        and call.route not in _ANSWER_ROUTES
        and not call.route.endswith("/typing")
    ]


_ANSWER_ROUTES = frozenset(
    {
        "/interactions/{interaction_id}/{interaction_token}/callback",
        _HOOK,
        _HOOK + "/messages/@original",
        _HOOK + "/messages/{message_id}",
        "/users/@me/channels",
    }
)


def judge_refusal(
    sandbox: Sandbox, step: Step, outcome: StepOutcome, observation: Observation
) -> tuple[str, str] | str:
    """For a step expecting a refusal: ``(by, text)`` when it was refused, else why not."""
    if outcome.client_refusals:
        return ("client", outcome.client_refusals[0])
    says = step.spec.get("says")
    replies = [refusal_reply(sandbox, ids, says) for ids in outcome.interactions]
    refused = [reply for reply in replies if reply is not None]
    if not refused:
        wanted = f' saying "{says}"' if says else ""
        return f"expected a refusal{wanted}, but it was not refused"
    if len(outcome.interactions) == 1 and (others := _other_writes(observation)):
        call = others[0]
        return (
            f"expected a refusal, but besides an ephemeral answer the bot changed something"
            f" ({call.method} {call.route})"
        )
    return ("bot", refused[0])


def _write(out: TextIO, line: dict[str, Any]) -> None:
    out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()


def _fail(out: TextIO, step: Step | None, reason: str) -> None:
    where = f"step {step.index} (line {step.line})" if step is not None else "scenario"
    print(f"scenario: {where} failed: {reason}", file=sys.stderr)
    line = _action("error", None, content=reason, reason=reason)
    _write(out, {"step": step.index if step is not None else None, **line})


async def run_steps(sandbox: Sandbox, steps: list[Step], bots: BotLifecycle, out: TextIO) -> int:
    for step in steps:
        observation = Observation.start(sandbox)
        refused_by_driver: str | None = None
        outcome = StepOutcome()
        try:
            outcome = await perform_step(sandbox, step, bots)
        except StepFailed as error:
            refused_by_driver = str(error)
        await observation.settle()
        actions = observation.actions()
        for action in actions:
            _write(out, {"step": step.index, **action})
        if refused_by_driver is not None:
            _fail(out, step, refused_by_driver)
            return 1
        errors = [action for action in actions if action["kind"] == "error"]
        if errors:  # its error line is out already
            reason = errors[0]["content"]
            print(
                f"scenario: step {step.index} (line {step.line}) failed: {reason}", file=sys.stderr
            )
            return 1
        if step.spec.get("expect") == "refused":
            verdict = judge_refusal(sandbox, step, outcome, observation)
            if isinstance(verdict, str):
                _fail(out, step, verdict)
                return 1
            by, text = verdict
            refused = len(outcome.client_refusals) + sum(
                1
                for ids in outcome.interactions
                if refusal_reply(sandbox, ids, step.spec.get("says")) is not None
            )
            line = _action(
                "refused", None, content=text, ephemeral=by == "bot", by=by, refused=refused
            )
            _write(out, {"step": step.index, **line, "repeat": len(outcome.interactions)})
    return 0


async def run_scenario(
    script_path: str | Path,
    sandbox: Sandbox,
    agora_factory: BotFactory,
    out: TextIO = sys.stdout,
    *,
    running: RunningBot | None = None,
) -> int:
    """Run the scenario file against ``sandbox`` (already started, bot ready); return the exit
    code. ``running`` is the bot already started (needed by ``restart``, which stops it and
    calls ``agora_factory`` again); bots started by restarts are stopped before returning."""
    try:
        text = await asyncio.to_thread(Path(script_path).read_text, encoding="utf-8")
        steps = parse_scenario(text)
    except (OSError, UnicodeDecodeError, ScenarioError) as error:
        _fail(out, None, str(error))
        return 2
    bots = BotLifecycle(agora_factory, running)
    try:
        return await run_steps(sandbox, steps, bots, out)
    finally:
        await bots.stop_started()
