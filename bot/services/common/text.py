"""Counts in words: "1 member", "2 members", "1,200 messages"."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun that agrees with it: the singular for exactly one (and minus
    one), otherwise ``plural_form``, by default the singular with an ``s``. Irregular
    nouns pass their plural: ``plural(n, "person", "people")``, ``plural(n, "category",
    "categories")``. Counts are written with thousands separators."""
    if abs(count) == 1:
        word = singular
    else:
        word = plural_form if plural_form is not None else f"{singular}s"
    return f"{count:,} {word}"
