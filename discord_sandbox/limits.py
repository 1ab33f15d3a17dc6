"""Discord limits that the OpenAPI schemas cannot express."""

from __future__ import annotations

from typing import Any

from discord_sandbox.rest.errors import DiscordError, field_error, invalid_form_body

EMBED_TOTAL_CHARACTERS = 6000
# A bot's message content; the spec's 4000 for channel messages is a Nitro user's limit.
MESSAGE_CONTENT_CHARACTERS = 2000
_MESSAGE_REQUEST_SCHEMAS = (
    "MessageCreateRequest",
    "MessageEditRequestPartial",
    "BaseCreateMessageCreateRequest",  # a forum post's first message
    "SDKMessageRequest",
)
MAX_AUTOCOMPLETE_CHOICES = 25
INTERACTION_RESPONSE_DEADLINE = 3.0  # seconds to send the initial callback
INTERACTION_TOKEN_LIFETIME = 15 * 60.0  # seconds the token works for followups/@original
NONCE_DEDUP_SECONDS = 5 * 60.0


def embed_characters(embed: dict[str, Any]) -> int:
    """Characters that count towards the 6000 limit: title, description, field names and
    values, footer text and author name."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for fld in embed.get("fields") or ():
        if isinstance(fld, dict):
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
    footer = embed.get("footer")
    if isinstance(footer, dict):
        total += len(footer.get("text") or "")
    author = embed.get("author")
    if isinstance(author, dict):
        total += len(author.get("name") or "")
    return total


def check_embeds(embeds: Any, prefix: list[str | int] | None = None) -> None:
    if not isinstance(embeds, list):
        return
    total = sum(embed_characters(e) for e in embeds if isinstance(e, dict))
    if total > EMBED_TOTAL_CHARACTERS:
        raise invalid_form_body(
            field_error(
                [*(prefix or []), "embeds"],
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL_CHARACTERS}",
            )
        )


def content_too_long(prefix: list[str | int] | None = None) -> DiscordError:
    return invalid_form_body(
        field_error(
            [*(prefix or []), "content"],
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {MESSAGE_CONTENT_CHARACTERS} or fewer in length.",
        )
    )


def check_content(content: Any, prefix: list[str | int] | None = None) -> None:
    """A bot's message content: at most 2000 characters, however it is sent."""
    if isinstance(content, str) and len(content) > MESSAGE_CONTENT_CHARACTERS:
        raise content_too_long(prefix)


def apply_bot_limits(spec: dict[str, Any]) -> None:
    """Give the spec's message requests a bot's content limit (requests only: the sandbox's
    client is always a bot; webhook and interaction messages already say 2000)."""
    schemas = spec["components"]["schemas"]
    for name in _MESSAGE_REQUEST_SCHEMAS:
        content = schemas.get(name, {}).get("properties", {}).get("content")
        if isinstance(content, dict) and content.get("maxLength", 0) > MESSAGE_CONTENT_CHARACTERS:
            content["maxLength"] = MESSAGE_CONTENT_CHARACTERS


def check_autocomplete_choices(choices: Any) -> None:
    if isinstance(choices, list) and len(choices) > MAX_AUTOCOMPLETE_CHOICES:
        raise invalid_form_body(
            field_error(
                ["data", "choices"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_AUTOCOMPLETE_CHOICES} or fewer in length.",
            )
        )


def empty_message() -> DiscordError:
    return DiscordError(400, 50006, "Cannot send an empty message")
