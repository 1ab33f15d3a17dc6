"""How a configuration mistake is told: one line each, secrets never echoed."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any


class ConfigError(Exception):
    """The configuration is wrong; ``problems`` holds one line per mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Invalid(ValueError):
    """A value an option cannot take; ``why`` is said after the option's name."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


_SECRET_KEY = re.compile(r"token|secret|password|passwd|credential|api_?key|private_?key", re.I)
HIDDEN = "<hidden>"


def is_secret_key(key: str) -> bool:
    """Keys whose values are never echoed in an error line (a wrong token is still a token)."""
    return _SECRET_KEY.search(key) is not None


def without_value(why: str, value: Any) -> str:
    """``why`` with every rendering of ``value`` (and of each part of it) replaced."""
    fragments = {repr(value), str(value)}
    for text in _strings_in(value):
        fragments |= {text, repr(text)}
    # One pass, longest first: a replacement is never scanned again.
    ordered = sorted((re.escape(part) for part in fragments if part), key=len, reverse=True)
    return re.sub("|".join(ordered), HIDDEN, why) if ordered else why


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _strings_in(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings_in(item)]
    return [str(value)]


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` was most likely meant to be (case aside), if any is close."""
    by_folded = {choice.casefold(): choice for choice in choices}
    if word.casefold() in by_folded:
        return by_folded[word.casefold()]
    found = difflib.get_close_matches(word.casefold(), by_folded, n=1, cutoff=0.75)
    return by_folded[found[0]] if found else None
