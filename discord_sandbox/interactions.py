"""Interaction lifecycle with Discord's rules.

* the initial callback must arrive within 3 s, or the interaction fails ("This interaction
  failed" in the client); later callbacks get 404 10062 Unknown interaction;
* it can be acknowledged once (400 40060);
* the token then works for 15 minutes for followups and ``@original``; followups need an
  answer first (a defer counts); the first followup after a deferred reply fills in the
  "thinking" message instead of posting a new one.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from discord_sandbox.limits import (
    INTERACTION_RESPONSE_DEADLINE,
    INTERACTION_TOKEN_LIFETIME,
    check_autocomplete_choices,
)
from discord_sandbox.message_build import EPHEMERAL, LOADING, message_fields, normalise_components
from discord_sandbox.models import JSON, Channel, Message
from discord_sandbox.rest.errors import (
    DiscordError,
    already_acknowledged,
    field_error,
    invalid_form_body,
    invalid_webhook_token,
    unknown,
)
from discord_sandbox.serialize import channel_json, member_json, message_json, user_json
from discord_sandbox.snowflake import iso_timestamp

if TYPE_CHECKING:
    from discord_sandbox.rest.body import UploadedFile
    from discord_sandbox.server import Sandbox


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


ALLOWED_CALLBACKS: Mapping[int, frozenset[int]] = MappingProxyType(
    {
        InteractionType.PING: frozenset({1}),
        InteractionType.APPLICATION_COMMAND: frozenset({4, 5, 9}),
        InteractionType.MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9}),
        InteractionType.AUTOCOMPLETE: frozenset({8}),
        InteractionType.MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
    }
)
# Callback types after which the token may post followups / edit @original.
_ANSWERED_WITH_MESSAGE = frozenset({4, 5, 6, 7})


@dataclass(slots=True)
class InteractionFailure:
    interaction_id: str
    name: str  # command path, or the component's custom_id
    user: str
    reason: str

    def __str__(self) -> str:
        return f"interaction {self.name!r} by {self.user} failed: {self.reason}"


@dataclass(eq=False)
class InteractionRecord:
    id: str
    token: str
    type: int
    name: str
    user_id: str
    guild_id: str | None
    channel_id: str
    payload: JSON
    created_at: float  # time.monotonic()
    # time.monotonic() when the first callback request arrived, before any validation
    callback_at: float | None = None
    source_message_id: str | None = None  # the message whose component was used
    opened_by: InteractionRecord | None = None  # a modal submission: the one that opened it
    response_type: int | None = None
    original_message_id: str | None = None
    ephemeral: bool = False
    followup_ids: list[str] = field(default_factory=list)
    choices: list[JSON] | None = None
    modal: JSON | None = None
    failure: str | None = None
    refusals: list[str] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    completed: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # set on each followup/edit
    timer: asyncio.TimerHandle | None = None

    @property
    def deferred(self) -> bool:
        return self.response_type in (
            CallbackType.DEFERRED_CHANNEL_MESSAGE,
            CallbackType.DEFERRED_UPDATE_MESSAGE,
        )


class InteractionManager:
    def __init__(self, sb: Sandbox) -> None:
        self._sb = sb
        self.by_id: dict[str, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}
        self.response_deadline = INTERACTION_RESPONSE_DEADLINE
        self.token_lifetime = INTERACTION_TOKEN_LIFETIME

    # ---- creation ---------------------------------------------------------------------------
    def create(
        self,
        type: int,
        name: str,
        user_id: str,
        channel: Channel,
        data: JSON,
        message: Message | None = None,
        *,
        opened_by: InteractionRecord | None = None,
    ) -> InteractionRecord:
        """A new interaction of ``type`` by ``user_id`` (INTERACTION_CREATE is dispatched);
        ``message``: the message whose component was used; ``opened_by``: for a modal
        submission, the interaction whose response opened the modal."""
        sb = self._sb
        state = sb.state
        iid = state.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        guild = state.guild_of(channel)
        if channel.is_thread or guild is not None:
            perms = state.permissions_in(channel, user_id)
            app_perms = state.permissions_in(channel, state.bot_user_id)
        else:
            perms = app_perms = 0
        payload: JSON = {
            "id": iid,
            "application_id": state.application_id,
            "type": type,
            "data": data,
            "channel_id": channel.id,
            "channel": channel_json(state, channel),
            "token": token,
            "version": 1,
            "app_permissions": str(app_perms),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None and user_id not in guild.members:
            name = state.users[user_id].username
            raise LookupError(f"{name} is not a member of {guild.name!r}: cannot interact there")
        if guild is not None:
            member = member_json(state, guild.members[user_id])
            member["permissions"] = str(perms)
            payload.update(
                guild_id=guild.id,
                guild={"id": guild.id, "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member,
                authorizing_integration_owners={"0": guild.id},
                context=0,
            )
        else:
            payload.update(
                user=user_json(state.users[user_id]),
                authorizing_integration_owners={"1": user_id},
                context=1,
            )
        if message is not None:
            payload["message"] = message_json(state, message)
        record = InteractionRecord(
            id=iid,
            token=token,
            type=type,
            name=name,
            user_id=user_id,
            guild_id=guild.id if guild else None,
            channel_id=channel.id,
            payload=payload,
            created_at=time.monotonic(),
            source_message_id=message.id if message else None,
            opened_by=opened_by,
        )
        self.by_id[iid] = record
        self.by_token[token] = record
        record.timer = asyncio.get_running_loop().call_later(
            self.response_deadline, self._deadline_passed, record
        )
        sb.events.interaction_create(payload)
        return record

    def _deadline_passed(self, record: InteractionRecord) -> None:
        if record.response_type is None and record.failure is None:
            self._fail(record, f"not answered within {self.response_deadline:g} s")

    def _fail(self, record: InteractionRecord, reason: str) -> None:
        record.failure = reason
        user = self._sb.state.users[record.user_id].username
        self._sb.failures.append(InteractionFailure(record.id, record.name, user, reason))
        record.answered.set()
        record.completed.set()

    def note_refusal(self, params: dict[str, str], err: DiscordError) -> None:
        """The bot's callback was refused (bad body, wrong type...): that is a failure the
        user would see, recorded now; a later valid callback can still answer in time."""
        record = self.by_id.get(params.get("interaction_id", ""))
        if record is None or record.token != params.get("interaction_token"):
            return
        if err.code == 40060:
            reason = "callback refused: 40060 already acknowledged"
        else:
            reason = f"callback refused: {err.status} {err.code} {err.message} {err.errors or ''}"
        record.refusals.append(reason.strip())
        user = self._sb.state.users[record.user_id].username
        self._sb.failures.append(InteractionFailure(record.id, record.name, user, reason.strip()))

    # ---- initial callback ------------------------------------------------------------------
    def callback(
        self, params: dict[str, str], body: JSON, files: list[UploadedFile], with_response: bool
    ) -> tuple[int, Any]:
        record = self.by_id.get(params["interaction_id"])
        if record is None or record.token != params["interaction_token"]:
            raise unknown("interaction")
        if record.response_type is not None:
            raise already_acknowledged()
        if record.failure is not None or (
            time.monotonic() - record.created_at > self.response_deadline
        ):
            raise unknown("interaction")
        ctype = body.get("type")
        if ctype not in ALLOWED_CALLBACKS[record.type]:
            raise invalid_form_body(
                field_error(
                    ["type"],
                    "INTERACTION_CALLBACK_TYPE_INVALID",
                    f"Callback type {ctype} is not valid for interaction type {record.type}.",
                )
            )
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise invalid_form_body(
                field_error(["data"], "DICT_TYPE_CONVERT", "Must be an object.")
            )
        message = self._apply_callback(record, int(ctype), data, files)
        record.response_type = int(ctype)
        if record.timer is not None:
            record.timer.cancel()
        record.answered.set()
        if ctype != CallbackType.DEFERRED_CHANNEL_MESSAGE:
            record.completed.set()
        if not with_response:
            return 204, None
        interaction: JSON = {"id": record.id, "type": record.type}
        response: JSON = {"interaction": interaction}
        if message is not None:
            interaction.update(
                response_message_id=message.id,
                response_message_loading=bool(message.flags & LOADING),
                response_message_ephemeral=bool(message.flags & EPHEMERAL),
            )
            if ctype in (CallbackType.CHANNEL_MESSAGE, CallbackType.UPDATE_MESSAGE):
                response["resource"] = {
                    "type": ctype,
                    "message": message_json(self._sb.state, message),
                }
        return 200, response

    def _apply_callback(
        self, record: InteractionRecord, ctype: int, data: JSON, files: list[UploadedFile]
    ) -> Message | None:
        state = self._sb.state
        if ctype == CallbackType.CHANNEL_MESSAGE:
            fields = message_fields(state, data, files, where=["data"])
            return self._post_bot_message(record, fields, original=True)
        if ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            return self._post_bot_message(record, {"flags": flags}, original=True)
        if ctype in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE):
            source = state.message_by_id(record.source_message_id or "")
            if source is None:
                raise unknown("message")
            record.original_message_id = source.id
            record.ephemeral = bool(source.flags & EPHEMERAL)
            if ctype == CallbackType.UPDATE_MESSAGE:
                self.edit_message(source, data, files, where=["data"])
            return source
        if ctype == CallbackType.AUTOCOMPLETE_RESULT:
            choices = data.get("choices") or []
            check_autocomplete_choices(choices)
            record.choices = list(choices)
            return None
        if ctype == CallbackType.MODAL:
            for key in ("custom_id", "title", "components"):
                if not data.get(key):
                    raise invalid_form_body(
                        field_error(["data", key], "BASE_TYPE_REQUIRED", "This field is required")
                    )
            # Discord numbers the modal's components; the submission echoes those ids.
            record.modal = {**data, "components": normalise_components(data["components"])}
            return None
        return None  # PONG

    # ---- messages sent through the interaction ---------------------------------------------
    def _post_bot_message(
        self, record: InteractionRecord, fields: dict[str, Any], *, original: bool
    ) -> Message:
        sb = self._sb
        state = sb.state
        ephemeral = bool(fields.get("flags", 0) & EPHEMERAL)
        metadata = self.interaction_metadata(record)
        if not original and record.original_message_id is not None:
            metadata["original_response_message_id"] = record.original_message_id
        channel = state.channels[record.channel_id]
        msg_type = 0
        if original and record.type == InteractionType.APPLICATION_COMMAND:
            # CHAT_INPUT_COMMAND, or CONTEXT_MENU_COMMAND for a user or message command
            msg_type = 23 if record.payload["data"].get("type") in (2, 3) else 20
        msg = Message(
            id=state.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=state.bot_user_id,
            content="",
            timestamp=iso_timestamp(),
            type=msg_type,
            webhook_id=state.application_id,
            application_id=state.application_id,
            interaction_metadata=metadata,
        )
        for key, value in fields.items():
            setattr(msg, key, value)
        if ephemeral:
            state.ephemeral_messages[msg.id] = msg
        else:
            state.add_message(msg)
            sb.events.message_create(msg)
        if original:
            record.original_message_id = msg.id
            record.ephemeral = ephemeral
        else:
            record.followup_ids.append(msg.id)
        record.changed.set()
        return msg

    def interaction_metadata(self, record: InteractionRecord) -> JSON:
        """Discord's message interaction metadata for ``record``: the application command,
        message component or modal submit structure (a modal submission's carries the
        metadata of the command or component interaction that opened the modal)."""
        state = self._sb.state
        metadata: JSON = {
            "id": record.id,
            "type": record.type,
            "user": user_json(state.users[record.user_id]),
            "authorizing_integration_owners": record.payload["authorizing_integration_owners"],
        }
        if record.type == InteractionType.APPLICATION_COMMAND:
            data = record.payload["data"]
            target = data.get("target_id")
            if data.get("type") == 2 and target in state.users:
                metadata["target_user"] = user_json(state.users[target])
            elif data.get("type") == 3 and target is not None:
                metadata["target_message_id"] = target
        elif record.type == InteractionType.MESSAGE_COMPONENT:
            metadata["interacted_message_id"] = record.source_message_id
        elif record.type == InteractionType.MODAL_SUBMIT and record.opened_by is not None:
            metadata["triggering_interaction_metadata"] = self.interaction_metadata(
                record.opened_by
            )
        return metadata

    def edit_message(
        self,
        msg: Message,
        body: JSON,
        files: list[UploadedFile],
        where: list[str | int] | None = None,
    ) -> Message:
        fields = message_fields(
            self._sb.state, body, files, existing=msg, require_content=False, where=where
        )
        was_loading = bool(msg.flags & LOADING)
        for key, value in fields.items():
            setattr(msg, key, value)
        if was_loading:
            msg.flags &= ~LOADING
        else:
            msg.edited_timestamp = iso_timestamp()
        if msg.id not in self._sb.state.ephemeral_messages:
            self._sb.events.message_update(msg)
        return msg

    # ---- webhook (token) routes -------------------------------------------------------------
    def record_for_token(self, params: dict[str, str]) -> InteractionRecord:
        record = self.by_token.get(params["webhook_token"])
        if record is None or params["webhook_id"] != self._sb.state.application_id:
            raise unknown("webhook")
        if time.monotonic() - record.created_at > self.token_lifetime:
            raise invalid_webhook_token()
        return record

    def followup(self, record: InteractionRecord, body: JSON, files: list[UploadedFile]) -> Message:
        if record.response_type not in _ANSWERED_WITH_MESSAGE:
            # Discord has no webhook for the token until the interaction was answered.
            raise unknown("webhook")
        state = self._sb.state
        original = state.message_by_id(record.original_message_id or "")
        if (
            record.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.flags & LOADING
        ):
            msg = self.edit_message(original, body, files)
        else:
            fields = message_fields(state, body, files)
            msg = self._post_bot_message(record, fields, original=False)
        record.completed.set()
        return msg

    def original(self, record: InteractionRecord) -> Message:
        msg = self._sb.state.message_by_id(record.original_message_id or "")
        if msg is None:
            raise unknown("message")
        return msg

    def owned_message(self, record: InteractionRecord, message_id: str) -> Message:
        if message_id == "@original":
            return self.original(record)
        if message_id != record.original_message_id and message_id not in record.followup_ids:
            raise unknown("message")
        msg = self._sb.state.message_by_id(message_id)
        if msg is None:
            raise unknown("message")
        return msg

    def delete_message(self, msg: Message) -> None:
        state = self._sb.state
        if state.ephemeral_messages.pop(msg.id, None) is None:
            state.remove_message(msg)
            self._sb.events.message_delete(msg)
