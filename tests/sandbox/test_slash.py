"""What the driver submits for a form (``discord_sandbox/slash.py``): as Discord's client,
a field the user leaves alone goes back with the value the bot filled in."""

from __future__ import annotations

import pytest

from discord_sandbox import CommandError
from discord_sandbox.slash import modal_submission

MODAL = {
    "custom_id": "agora:meeting-draft:1",
    "title": "New meeting",
    "components": [
        {
            "type": 18,
            "label": "Title",
            "component": {
                "type": 4,
                "custom_id": "title",
                "style": 1,
                "required": True,
                "value": "Lamppost pilot review",
            },
        },
        {
            "type": 18,
            "label": "Description",
            "component": {"type": 4, "custom_id": "description", "style": 2, "required": False},
        },
    ],
}


def _values(submission: dict[str, object]) -> dict[str, str]:
    components = submission["components"]
    assert isinstance(components, list)
    return {c["component"]["custom_id"]: c["component"]["value"] for c in components}


def test_a_field_left_alone_keeps_the_value_the_bot_filled_in() -> None:
    assert _values(modal_submission(MODAL, {})) == {
        "title": "Lamppost pilot review",
        "description": "",
    }


def test_what_the_user_types_replaces_it() -> None:
    submitted = modal_submission(MODAL, {"Title": "Pilot review", "Description": "Agenda"})
    assert _values(submitted) == {"title": "Pilot review", "description": "Agenda"}


def test_a_required_field_with_nothing_filled_in_must_be_given() -> None:
    bare = {
        "custom_id": "form",
        "components": [
            {"type": 18, "label": "Title", "component": {"type": 4, "custom_id": "title"}}
        ],
    }
    with pytest.raises(CommandError, match="required"):
        modal_submission(bare, {})
