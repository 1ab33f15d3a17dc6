"""The typo checks' distances are those of the plain definition.

``edit_distance`` is rapidfuzz's optimal string alignment with a cutoff and
``word_distance`` compares a query word with a word and its starts: each is
checked here against the dynamic programme written out in full, uncapped.
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from bot.services.common.fuzzy import edit_distance, word_distance

# Few letters, so strings share characters and swaps of neighbours are common;
# one letter beyond the BMP and one that folding leaves alone.
words = st.text(alphabet="abcab\u00e9\U0001f600", max_size=9)


def _osa(a: str, b: str) -> int:
    """Optimal string alignment: insertions, deletions, substitutions, adjacent swaps."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        table[i][0] = i
    for j in range(len(b) + 1):
        table[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[len(a)][len(b)]


@given(a=words, b=words, limit=st.integers(0, 4))
@example(a="ca", b="abc", limit=3)  # OSA says 3 here; unrestricted Damerau would say 2
@example(a="gaints", b="giants", limit=1)
def test_edit_distance_is_osa_capped_at_limit_plus_one(a: str, b: str, limit: int) -> None:
    assert edit_distance(a, b, limit) == min(_osa(a, b), limit + 1)


@given(query=words, word=words, limit=st.integers(0, 2))
@example(query="lampo", word="lamppost", limit=1)
def test_word_distance_is_the_closest_of_the_word_and_its_starts(
    query: str, word: str, limit: int
) -> None:
    starts = [word[:length] for length in range(1, len(word))]
    nearby = [s for s in starts if abs(len(s) - len(query)) <= limit]
    expected = min(_osa(query, form) for form in [word, *nearby])
    assert word_distance(query, word, limit) == min(expected, limit + 1)
