"""Turn a message create/edit body (as the bot sends it) into stored message fields,
normalised the way Discord stores them (embed ``type``, component ``id``s, attachments
from multipart files, mentions from content + ``allowed_mentions``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from discord_sandbox.limits import check_content, check_embeds, empty_message
from discord_sandbox.models import Attachment, Message
from discord_sandbox.rest.errors import field_error, invalid_form_body

if TYPE_CHECKING:
    from discord_sandbox.rest.body import UploadedFile
    from discord_sandbox.state import SandboxState

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

EPHEMERAL = 1 << 6
SUPPRESS_EMBEDS = 1 << 2
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
_SETTABLE_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2


def normalise_embeds(embeds: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for embed in embeds or ():
        if not isinstance(embed, dict):
            continue
        embed = {"type": "rich", **embed}
        fields = embed.get("fields")
        if fields:
            embed["fields"] = [
                f if "inline" in f else {**f, "inline": False}
                for f in fields
                if isinstance(f, dict)
            ]
        out.append(embed)
    return out


_SELECTS = frozenset({3, 5, 6, 7, 8})


def normalise_components(components: Any) -> list[dict[str, Any]]:
    """Copy components, giving each one Discord's numeric ``id`` (depth-first, from 1,
    skipping ids the bot chose itself)."""
    if not isinstance(components, list):
        return []
    used: set[int] = set()
    _collect_ids(components, used)
    counter = [0]

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        node = dict(node)
        if type(node.get("id")) is not int:
            n = counter[0] + 1
            while n in used:
                n += 1
            counter[0] = n
            node["id"] = n
        ctype = node.get("type")
        if ctype in _SELECTS:
            node.setdefault("min_values", 1)
            node.setdefault("max_values", 1)
            if ctype == 3:
                node["options"] = [
                    o if "default" in o else {**o, "default": False}
                    for o in node.get("options") or ()
                    if isinstance(o, dict)
                ]
        elif ctype == 4:  # text input
            node.setdefault("min_length", 0)
            node.setdefault("max_length", 4000)
        children = node.get("components")
        if children:
            node["components"] = [fix(c) for c in children if isinstance(c, dict)]
        for key in ("component", "accessory"):
            child = node.get(key)
            if isinstance(child, dict):
                node[key] = fix(child)
        return node

    return [fix(c) for c in components if isinstance(c, dict)]


def _collect_ids(nodes: list[Any], used: set[int]) -> None:
    for node in nodes:
        if not isinstance(node, dict):
            continue
        if type(node.get("id")) is int:
            used.add(node["id"])
        children = node.get("components")
        if children:
            _collect_ids(children, used)
        for key in ("component", "accessory"):
            if key in node:
                _collect_ids([node[key]], used)


def build_attachments(
    state: SandboxState,
    body: dict[str, Any],
    files: list[UploadedFile],
    keep: list[Attachment] | None = None,
) -> list[Attachment] | None:
    """Attachments for a create/edit; None when the body does not touch attachments."""
    by_index = {f.index: f for f in files if f.index is not None}
    listed = body.get("attachments")
    if listed is None and not files:
        return None
    result: list[Attachment] = []
    existing = {a.id: a for a in keep or ()}
    if listed is None:
        listed = [{"id": i} for i in sorted(by_index)]
    for i, item in enumerate(listed):
        if not isinstance(item, dict):
            continue
        att_id = str(item.get("id", i))
        if att_id in existing:
            result.append(existing[att_id])
            continue
        upload = by_index.get(int(att_id)) if att_id.isdigit() else None
        if upload is None:
            raise invalid_form_body(
                field_error(["attachments", i], "ATTACHMENT_NOT_FOUND", "Attachment data not found")
            )
        new_id = state.ids.next()
        filename = str(item.get("filename") or upload.filename)
        att = Attachment(
            id=new_id,
            filename=filename,
            data=upload.data,
            content_type=upload.content_type,
            description=item.get("description"),
            url=f"{state.attachment_base_url}/{new_id}/{filename}",
        )
        state.attachments[new_id] = att
        result.append(att)
    return result


def _mentions(state: SandboxState, content: str, allowed: Any) -> tuple[list[str], list[str], bool]:
    if "@" not in content:
        return [], [], False
    users = [u for u in _USER_MENTION.findall(content) if u in state.users]
    roles = _ROLE_MENTION.findall(content)
    everyone = "@everyone" in content or "@here" in content
    if isinstance(allowed, dict):
        parse = allowed.get("parse") or []
        allowed_users = {str(u) for u in allowed.get("users") or ()}
        allowed_roles = {str(r) for r in allowed.get("roles") or ()}
        users = [u for u in users if "users" in parse or u in allowed_users]
        roles = [r for r in roles if "roles" in parse or r in allowed_roles]
        everyone = everyone and "everyone" in parse
    return list(dict.fromkeys(users)), list(dict.fromkeys(roles)), everyone


def message_fields(
    state: SandboxState,
    body: dict[str, Any],
    files: list[UploadedFile],
    *,
    existing: Message | None = None,
    require_content: bool = True,
    where: list[str | int] | None = None,
) -> dict[str, Any]:
    """Fields to set on a new message (``existing`` None) or to change on an edit.

    Every message the bot sends or edits is built here, so Discord's limits on it are
    checked here too; ``where`` is the body's place in the request (``["data"]`` in an
    interaction callback), for the error's field path."""
    fields: dict[str, Any] = {}
    if "content" in body:
        check_content(body["content"], where)
        fields["content"] = body["content"] or ""
    if "embeds" in body or "embed" in body:
        embeds = body.get("embeds") if "embeds" in body else [body.get("embed")]
        check_embeds(embeds, where)
        fields["embeds"] = normalise_embeds(embeds)
    if "components" in body:
        fields["components"] = normalise_components(body["components"])
    attachments = build_attachments(
        state, body, files, existing.attachments if existing is not None else None
    )
    if attachments is not None:
        fields["attachments"] = attachments
    if body.get("flags") is not None:
        flags = int(body["flags"]) & _SETTABLE_FLAGS
        if existing is not None:
            flags |= existing.flags & ~_SETTABLE_FLAGS
        fields["flags"] = flags
    if "content" in fields:
        users, roles, everyone = _mentions(state, fields["content"], body.get("allowed_mentions"))
        fields.update(mentions=users, mention_roles=roles, mention_everyone=everyone)
    if existing is None:
        if body.get("tts"):
            fields["tts"] = True
        if body.get("nonce") is not None:
            fields["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            fields["message_reference"] = {
                "type": 0,
                "message_id": str(ref["message_id"]),
                "channel_id": str(ref.get("channel_id") or ""),
            }
        if require_content and not (
            fields.get("content")
            or fields.get("embeds")
            or fields.get("components")
            or fields.get("attachments")
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            raise empty_message()
    return fields
