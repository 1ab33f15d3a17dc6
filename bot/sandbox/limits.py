"""Discord limits that the OpenAPI schemas cannot express."""

from __future__ import annotations

from typing import Any

from bot.sandbox.rest.errors import DiscordError, field_error, invalid_form_body

EMBED_TOTAL_CHARACTERS = 6000
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
