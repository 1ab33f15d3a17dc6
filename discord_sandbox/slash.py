"""Build interaction ``data`` the way the Discord client does: commands looked up in what the
bot registered, option values typed and ``resolved`` filled in, select values and modal
submissions shaped like the real ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from discord_sandbox.models import JSON, AppCommand, Channel, Message, Role, User
from discord_sandbox.permissions import Permission
from discord_sandbox.serialize import (
    attachment_json,
    member_json,
    message_json,
    role_json,
    user_json,
)

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox


# Discord's client sends no string option longer than this, and integer options are
# doubles on Discord's side (-2^53 .. 2^53), whatever the command declares.
MAX_OPTION_STRING = 6000
MAX_OPTION_INTEGER = 2**53


class OptionType:
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


def _error(message: str) -> Exception:
    from discord_sandbox.driver import CommandError

    return CommandError(message)


def resolve_command(
    sb: Sandbox, path: str, channel: Channel
) -> tuple[AppCommand, list[str], list[JSON]]:
    """(command, [group, sub] names, option definitions of the leaf)."""
    words = path.strip().lstrip("/").split()
    if not words:
        raise _error("empty command")
    commands = [c for c in sb.state.commands_for(channel.guild_id) if c.type == 1]
    cmd = next((c for c in commands if c.name == words[0]), None)
    if cmd is None:
        names = sorted({c.name for c in commands})
        raise _error(f"the bot registered no slash command {words[0]!r}; it has: {names}")
    options: list[JSON] = list(cmd.payload.get("options") or [])
    subpath: list[str] = []
    for word in words[1:]:
        sub = next((o for o in options if o.get("name") == word and o.get("type") in (1, 2)), None)
        if sub is None:
            subs = [o.get("name") for o in options if o.get("type") in (1, 2)]
            raise _error(f"/{' '.join([cmd.name, *subpath])} has no subcommand {word!r}: {subs}")
        subpath.append(word)
        options = list(sub.get("options") or [])
    if any(o.get("type") in (1, 2) for o in options):
        subs = [o.get("name") for o in options]
        raise _error(f"/{path} needs a subcommand: {subs}")
    return cmd, subpath, options


def check_can_use(sb: Sandbox, user: User, cmd: AppCommand, channel: Channel) -> None:
    """Discord hides commands whose default_member_permissions the user lacks."""
    required = cmd.payload.get("default_member_permissions")
    if required is None or channel.guild_id is None:
        return
    perms = sb.state.permissions_in(channel, user.id)
    if int(required) & ~perms and not perms & Permission.ADMINISTRATOR:
        raise _error(f"{user.username} cannot use /{cmd.name}: missing permissions {required}")


def _find_option(defs: list[JSON], key: str) -> JSON | None:
    for d in defs:
        name = str(d.get("name"))
        if name == key or name.replace("-", "_") == key:
            return d
    return None


class _Resolved:
    def __init__(self, sb: Sandbox, channel: Channel) -> None:
        self.sb = sb
        self.channel = channel
        self.data: dict[str, dict[str, JSON]] = {}

    def _put(self, kind: str, key: str, value: JSON) -> None:
        self.data.setdefault(kind, {})[key] = value

    def user(self, ref: Any) -> str:
        state = self.sb.state
        user = ref.user if hasattr(ref, "user") and isinstance(ref.user, User) else ref
        u = user if isinstance(user, User) else state.find_user(user)
        self._put("users", u.id, user_json(u))
        guild = state.guild_of(self.channel)
        if guild is not None and u.id in guild.members:
            member = member_json(state, guild.members[u.id], with_user=False)
            member["permissions"] = str(state.permissions_in(self.channel, u.id))
            self._put("members", u.id, member)
        return u.id

    def role(self, ref: Any) -> str:
        guild = self.sb.state.guild_of(self.channel)
        if guild is None:
            raise _error("roles exist in guilds only")
        r = ref if isinstance(ref, Role) else self.sb.state.find_role(guild, ref)
        self._put("roles", r.id, role_json(r))
        return r.id

    def channel_ref(self, ref: Any, allowed_types: list[int] | None) -> str:
        ch = ref if isinstance(ref, Channel) else self.sb.channel(ref)
        if allowed_types and ch.type not in allowed_types:
            raise _error(f"channel {ch.name!r} (type {ch.type}) is not one of {allowed_types}")
        data: JSON = {
            "id": ch.id,
            "name": ch.name,
            "type": ch.type,
            "permissions": str(self.sb.state.permissions_in(ch, self.sb.state.bot_user_id)),
            "parent_id": ch.parent_id,
            "flags": ch.flags,
        }
        if ch.is_thread:
            data["thread_metadata"] = {
                "archived": ch.archived,
                "locked": ch.locked,
                "auto_archive_duration": ch.auto_archive_duration,
                "archive_timestamp": ch.archive_timestamp,
            }
        self._put("channels", ch.id, data)
        return ch.id

    def attachment(self, value: Any) -> str:
        from discord_sandbox.models import Attachment

        if not (isinstance(value, tuple) and len(value) == 2):
            raise _error("attachment options take (filename, bytes)")
        filename, payload = value
        state = self.sb.state
        att_id = state.ids.next()
        att = Attachment(
            att_id,
            str(filename),
            bytes(payload),
            url=f"{state.attachment_base_url}/{att_id}/{filename}",
        )
        state.attachments[att_id] = att
        self._put("attachments", att_id, attachment_json(att))
        return att_id

    def message(self, msg: Message) -> str:
        self._put("messages", msg.id, message_json(self.sb.state, msg))
        return msg.id


def _convert(definition: JSON, value: Any, resolved: _Resolved) -> Any:
    otype = definition.get("type")
    name = definition.get("name")
    if otype == OptionType.STRING:
        value = str(value)
    elif otype == OptionType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise _error(f"option {name!r} takes an integer, got {value!r}")
        value = int(value)
    elif otype == OptionType.NUMBER:
        value = float(value)
    elif otype == OptionType.BOOLEAN:
        if not isinstance(value, bool):
            raise _error(f"option {name!r} takes a boolean, got {value!r}")
    elif otype == OptionType.USER:
        return resolved.user(value)
    elif otype == OptionType.ROLE:
        return resolved.role(value)
    elif otype == OptionType.CHANNEL:
        return resolved.channel_ref(value, definition.get("channel_types"))
    elif otype == OptionType.MENTIONABLE:
        if isinstance(value, Role):
            return resolved.role(value)
        try:
            return resolved.user(value)
        except LookupError:
            return resolved.role(value)
    elif otype == OptionType.ATTACHMENT:
        return resolved.attachment(value)
    choices = definition.get("choices")
    if choices:
        for choice in choices:
            if value == choice.get("value") or value == choice.get("name"):
                return choice.get("value")
        raise _error(f"option {name!r} must be one of {[c.get('name') for c in choices]}")
    low, high = definition.get("min_value"), definition.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _error(f"option {name!r}: {value!r} is outside [{low}, {high}]")
    if otype == OptionType.INTEGER and abs(value) > MAX_OPTION_INTEGER:
        raise _error(f"option {name!r}: {value!r} is outside Discord's integer range")
    if isinstance(value, str) and len(value) > MAX_OPTION_STRING:
        raise _error(f"option {name!r} is longer than {MAX_OPTION_STRING} (Discord's limit)")
    if isinstance(value, str):
        if definition.get("min_length") is not None and len(value) < definition["min_length"]:
            raise _error(f"option {name!r} is shorter than {definition['min_length']}")
        if definition.get("max_length") is not None and len(value) > definition["max_length"]:
            raise _error(f"option {name!r} is longer than {definition['max_length']}")
    return value


def build_command_data(
    sb: Sandbox,
    user: User,
    path: str,
    options: dict[str, Any],
    channel: Channel,
    *,
    focused: tuple[str, str] | None = None,
) -> JSON:
    cmd, subpath, defs = resolve_command(sb, path, channel)
    resolved = _Resolved(sb, channel)
    leaf: list[JSON] = []
    for key, value in options.items():
        definition = _find_option(defs, key)
        if definition is None:
            raise _error(f"/{path} has no option {key!r}; options: {[d.get('name') for d in defs]}")
        if focused is not None and definition.get("name") == focused[0]:
            continue
        leaf.append(
            {
                "name": definition["name"],
                "type": definition["type"],
                "value": _convert(definition, value, resolved),
            }
        )
    if focused is not None:
        definition = _find_option(defs, focused[0])
        if definition is None:
            raise _error(f"/{path} has no option {focused[0]!r}")
        if not definition.get("autocomplete"):
            raise _error(f"option {focused[0]!r} of /{path} has no autocomplete")
        leaf.append(
            {
                "name": definition["name"],
                "type": definition["type"],
                "value": focused[1],
                "focused": True,
            }
        )
    else:
        given = {o["name"] for o in leaf}
        missing = [d.get("name") for d in defs if d.get("required") and d.get("name") not in given]
        if missing:
            raise _error(f"/{path} is missing required options {missing}")
    # Options are listed in the order the command declares them, as the client sends them.
    order = {d.get("name"): i for i, d in enumerate(defs)}
    leaf.sort(key=lambda o: order.get(o["name"], 0))
    nested: list[JSON] = leaf
    for i, word in reversed(list(enumerate(subpath))):
        nested = [{"name": word, "type": 1 if i == len(subpath) - 1 else 2, "options": nested}]
    data: JSON = {"id": cmd.id, "name": cmd.name, "type": 1}
    if nested:
        data["options"] = nested
    if resolved.data:
        data["resolved"] = resolved.data
    if cmd.guild_id is not None:
        data["guild_id"] = cmd.guild_id
    return data


def context_menu_data(sb: Sandbox, name: str, ctype: int, target: Any, channel: Channel) -> JSON:
    commands = [c for c in sb.state.commands_for(channel.guild_id) if c.type == ctype]
    cmd = next((c for c in commands if c.name == name), None)
    if cmd is None:
        raise _error(
            f"the bot registered no {'user' if ctype == 2 else 'message'} command {name!r}"
        )
    resolved = _Resolved(sb, channel)
    target_id = resolved.message(target) if ctype == 3 else resolved.user(target)
    data: JSON = {
        "id": cmd.id,
        "name": cmd.name,
        "type": ctype,
        "target_id": target_id,
        "resolved": resolved.data,
    }
    if cmd.guild_id is not None:
        data["guild_id"] = cmd.guild_id
    return data


def resolve_select_values(sb: Sandbox, comp: JSON, values: list[Any]) -> JSON:
    ctype = comp.get("type")
    data: JSON = {"custom_id": comp["custom_id"], "component_type": ctype}
    if not comp.get("min_values", 1) <= len(values) <= comp.get("max_values", 1):
        raise _error(
            f"select {comp['custom_id']!r} takes {comp.get('min_values', 1)}.."
            f"{comp.get('max_values', 1)} values, got {len(values)}"
        )
    if ctype == 3:
        out = []
        for v in values:
            match = [
                o["value"]
                for o in comp.get("options") or ()
                if v in (o.get("value"), o.get("label"))
            ]
            if not match:
                raise _error(f"select {comp['custom_id']!r} has no option {v!r}")
            out.append(match[0])
        data["values"] = out
        return data
    guild = sb.guild
    channel = sb.state.channels[guild.system_channel_id or guild.channel_ids[0]]
    resolved = _Resolved(sb, channel)
    out = []
    for v in values:
        if ctype == 5:
            out.append(resolved.user(v))
        elif ctype == 6:
            out.append(resolved.role(v))
        elif ctype == 8:
            out.append(resolved.channel_ref(v, comp.get("channel_types")))
        else:
            try:
                out.append(resolved.user(v))
            except LookupError:
                out.append(resolved.role(v))
    data["values"] = out
    data["resolved"] = resolved.data
    return data


def modal_submission(modal: JSON, values: dict[str, Any]) -> JSON:
    """The MODAL_SUBMIT data for ``modal`` with ``values`` keyed by label or custom_id; a text
    field not given is submitted with the value the bot filled in (none: empty)."""
    remaining = dict(values)

    def take(field: JSON, label: str | None) -> Any:
        for key in (label, field.get("custom_id")):
            if key is not None and key in remaining:
                return remaining.pop(key)
        return None

    def submit_field(field: JSON, label: str | None) -> JSON:
        value = take(field, label)
        ftype = field.get("type")
        if ftype == 4:
            if value is None:
                value = field.get("value")  # left as the bot filled it in, as on Discord
            text = "" if value is None else str(value)
            name = label or field.get("custom_id")
            if not text and field.get("required", True):
                raise _error(f"modal field {name!r} is required")
            # Discord's client enforces the lengths: nothing outside them is ever submitted.
            longest, shortest = field.get("max_length"), field.get("min_length")
            if longest is not None and len(text) > longest:
                raise _error(
                    f"modal field {name!r} takes at most {longest} characters, not {len(text)}"
                )
            if text and shortest is not None and len(text) < shortest:
                raise _error(
                    f"modal field {name!r} takes at least {shortest} characters, not {len(text)}"
                )
            return {
                "type": 4,
                "id": field.get("id"),
                "custom_id": field["custom_id"],
                "value": text,
            }
        chosen = [] if value is None else (value if isinstance(value, list) else [value])
        return {
            "type": ftype,
            "id": field.get("id"),
            "custom_id": field.get("custom_id"),
            "values": chosen,
        }

    components: list[JSON] = []
    for comp in modal.get("components") or ():
        if comp.get("type") == 1:
            row = [submit_field(c, c.get("label")) for c in comp.get("components") or ()]
            components.append({"type": 1, "id": comp.get("id"), "components": row})
        elif comp.get("type") == 18:
            inner = submit_field(comp["component"], comp.get("label"))
            components.append({"type": 18, "id": comp.get("id"), "component": inner})
    if remaining:
        raise _error(f"the modal has no fields {sorted(remaining)}")
    return {"custom_id": modal["custom_id"], "components": components}
