"""plural(): the one place Agora makes a count and its noun agree."""

from __future__ import annotations

import pytest

from bot.services.common.text import plural


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "member", "0 members"),
        (1, "member", "1 member"),
        (2, "member", "2 members"),
        (1, "message", "1 message"),
        (11, "message", "11 messages"),
        (21, "day", "21 days"),
        (-1, "day", "-1 day"),
        (1_200, "document", "1,200 documents"),
        (1_000_000, "project", "1,000,000 projects"),
    ],
)
def test_regular_nouns_agree_with_their_count(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 people"), (1, "1 person"), (2, "2 people"), (5_000, "5,000 people")],
)
def test_irregular_plurals_are_given(count: int, expected: str) -> None:
    assert plural(count, "person", "people") == expected


def test_phrases_and_irregulars_keep_the_given_words() -> None:
    assert plural(1, "category", "categories") == "1 category"
    assert plural(3, "category", "categories") == "3 categories"
    assert plural(1, "session reminder") == "1 session reminder"
    assert plural(2, "session reminder") == "2 session reminders"
    # The plural form is used as given, never with another "s" added.
    assert plural(2, "membership", "memberships") == "2 memberships"
