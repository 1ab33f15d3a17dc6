"""Names people read: one spelling per look, nothing invisible, no look-alikes.

Initiative and cluster names are shown everywhere (embeds, roles, channel
topics, autocomplete), so two that look the same let one pose as the other.
Every name Agora stores goes through here:

* ``normalise_name``: Unicode NFKC, so a full-width "Ｃａｆé" or a decomposed
  "Cafe\u0301" is stored as the "Café" everyone types;
* ``invisible_problem``: a name holding an invisible character (zero-width
  space or joiner, a bidirectional control that reorders what follows, a soft
  hyphen, a control or unassigned code point) is refused, naming the character;
* ``skeleton``: the Unicode TR39 confusable skeleton, by which two names that
  differ only by look-alike letters (Cyrillic "а" for Latin "a", "1" for "l")
  are the same name, and the second is refused as a duplicate.

Titles people type (documents, projects, discussions, meetings, sessions) are
not refused for such characters, only cleaned of them (``clean_text``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from disarm import normalize_confusables, skeleton_key

# Invisible by category: controls, format characters (zero-width space and
# joiners, bidirectional marks, embeddings, overrides and isolates, soft hyphen,
# word joiner, tags), surrogates, private use, unassigned, line and paragraph
# separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Invisible though of another category: the combining grapheme joiner, Hangul
# fillers, Khmer inherent vowels, Mongolian variation selectors and the blank
# Braille pattern. (Variation selectors stay: they choose how the character before
# them is drawn, as in ❤️, and change no skeleton.)
_INVISIBLE_OTHERS = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x2800, 0x3164, 0xFFA0}
)
_ZERO_WIDTH_JOINER = "\u200d"
_ZERO_WIDTH_SPACE = "\u200b"
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def is_invisible(char: str) -> bool:
    """True for a character that shows nothing (or reorders text) where it stands."""
    return ord(char) in _INVISIBLE_OTHERS or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def describe_character(char: str) -> str:
    """``U+200B ZERO WIDTH SPACE``: how a character is named in messages."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def normalise_name(text: str) -> str:
    """The stored spelling of a name: NFKC, outer spaces removed."""
    return unicodedata.normalize("NFKC", text).strip()


def invisible_problem(text: str, what: str = "name") -> str | None:
    """Why ``text`` may not be used as a ``what``, when it holds an invisible character."""
    for position, char in enumerate(text, start=1):
        if char in "\n\r":
            return f"the {what} must be on one line"
        if is_invisible(char):
            return (
                f"the {what} contains an invisible character ({describe_character(char)}) "
                f"at position {position}; type the {what} again without it"
            )
    return None


def skeleton(text: str) -> str:
    """The TR39 confusable skeleton of a name, case-folded: equal skeletons look alike.

    "Café Lab", "CAFÉ LAB", "Cаfé Lab" (Cyrillic а) and "Ｃａｆé Ｌａｂ" share one;
    "Cafe Lab" (no accent) does not. Digits count as the letters they look like
    (1 as l, 0 as O), as TR39 has it for identifiers.
    """
    return skeleton_key(unicodedata.normalize("NFKC", text), digit_policy="tr39")


def lookalike(name: str, others: Iterable[str]) -> str | None:
    """The first of ``others`` that looks the same as ``name`` without being it, or None."""
    wanted = skeleton(name)
    for other in others:
        if other != name and skeleton(other) == wanted:
            return other
    return None


def clean_text(text: str) -> str:
    """``text`` without invisible characters beyond ASCII (zero-width, bidirectional
    controls...); ASCII is left to each title's own checks (one line, not empty).

    A zero-width joiner between two symbols stays: it joins emoji sequences
    such as 👩‍💻, which would otherwise fall apart into two pictures.
    """
    if text.isascii():
        return text
    kept: list[str] = []
    for index, char in enumerate(text):
        if char.isascii():
            kept.append(char)
        elif char == _ZERO_WIDTH_JOINER and _joins_symbols(text, index):
            kept.append(char)
        elif not is_invisible(char):
            kept.append(char)
    return "".join(kept)


def _joins_symbols(text: str, index: int) -> bool:
    if index == 0 or index + 1 >= len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    if ord(before) in range(0xFE00, 0xFE10) and index >= 2:
        before = text[index - 2]  # an emoji's variation selector sits before the joiner
    return unicodedata.category(before) == "So" and unicodedata.category(after) == "So"


def fold_lookalikes(text: str) -> str:
    """``text`` with invisible characters removed (a zero-width space read as a space,
    the word break it stands for) and look-alike letters of other scripts replaced by
    the Latin ones they imitate ("Lаmp" with a Cyrillic а -> "Lamp"); ASCII is left
    exactly as it is. For matching typed text, not for display.
    """
    if text.isascii():
        return text
    visible = "".join(
        char
        for char in unicodedata.normalize("NFKC", text.replace(_ZERO_WIDTH_SPACE, " "))
        if not is_invisible(char)
    )
    return _NON_ASCII.sub(lambda run: normalize_confusables(run.group()), visible)
