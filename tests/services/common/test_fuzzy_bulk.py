"""The name index's fast paths give what the plain ones give.

fold() folds ASCII with a byte table, ``add_many`` builds the index in one
pass, and a name's trigrams are found through its words rather than stored
per name: each is checked here against the straightforward definition.
"""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.services.common.fuzzy import EXACT, PREFIX, Match, NameIndex, _fold_unicode, fold, trigrams

ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)
# Few letters, so names share words, trigrams and slugs; punctuation and
# accents so folding matters; some names fold to nothing.
name_text = st.text(alphabet="abcab xyz-.É", min_size=0, max_size=16)
items = st.lists(st.tuples(st.integers(0, 12), name_text, name_text), max_size=30)
QUERIES = ("", "a", "ab", "abc", "b a", "cab", "xyz", "zz", "a-b", "e", "abca", "yz a", "bcx")


def test_fold_of_each_ascii_character_matches_the_general_path() -> None:
    for code in range(128):
        char = chr(code)
        for text in (char, f"a{char}b", f"{char}{char}Z"):
            assert fold(text) == _fold_unicode(text), repr(text)


@given(text=ascii_text)
def test_fold_of_ascii_text_matches_the_general_path(text: str) -> None:
    assert fold(text) == _fold_unicode(text)


def test_fold_still_handles_text_beyond_ascii() -> None:
    assert fold("Réseau ÉLAN – Ville") == "reseau elan ville"
    assert fold(string.printable) == _fold_unicode(string.printable)


def answers(index: NameIndex) -> list[object]:
    """Everything a caller can observe, over a fixed set of queries."""
    seen: list[object] = [len(index)]
    for query in QUERIES:
        seen.append(index.search(query))
        seen.append(index.search(query, limit=3))
        seen.append(index.closest(query))
    return seen


def one_by_one(entries: list[tuple[int, str, str]], index: NameIndex | None = None) -> NameIndex:
    index = index or NameIndex()
    for key, name, slug in entries:
        index.add(key, name, slug)
    return index


# Two keys share a slug, then one of them is renamed: the other keeps its exact match.
SHARED_SLUG_RENAMED = [(1, "", "a"), (0, "", "a"), (0, "", "")]


@settings(max_examples=80)
@given(entries=items)
@example(entries=SHARED_SLUG_RENAMED)
def test_add_many_answers_like_adding_one_by_one(entries: list[tuple[int, str, str]]) -> None:
    bulk = NameIndex()
    bulk.add_many(entries)
    assert answers(bulk) == answers(one_by_one(entries))


@settings(max_examples=60)
@given(first=items, then=items)
@example(first=[], then=SHARED_SLUG_RENAMED)
def test_add_many_into_a_searched_index_renames_and_keeps_views_current(
    first: list[tuple[int, str, str]], then: list[tuple[int, str, str]]
) -> None:
    bulk = one_by_one(first)
    bulk.search("a")  # builds the sorted views, which add_many must then keep right
    bulk.add_many(then)
    assert answers(bulk) == answers(one_by_one(then, one_by_one(first)))


def test_a_slug_shared_by_two_names_stays_exact_when_either_changes() -> None:
    index = NameIndex()
    index.add(1, "Data Spaces", "data")
    index.add(2, "Data Lab", "data")
    index.add(2, "Data Lab", "data-lab")  # renamed away: 1 still has the slug
    assert index.search("data")[0] == Match(1, EXACT, 0)
    index.add(3, "Open Data", "data")
    index.remove(1)  # the first holder goes: 3 still has it
    assert index.search("data")[0] == Match(3, EXACT, 0)
    index.remove(3)
    assert [m.tier for m in index.search("data")] == [PREFIX]


def test_add_many_of_a_loaded_directory_is_the_same_index() -> None:
    entries = [(key, name, slug) for key, (name, slug) in enumerate(SAMPLE)]
    bulk = NameIndex()
    bulk.add_many(entries)
    single = one_by_one(entries)
    assert vars(bulk) == vars(single)


@settings(max_examples=60)
@given(entries=items, removed=st.lists(st.integers(0, 12), max_size=6))
def test_names_with_a_trigram_are_those_whose_trigrams_include_it(
    entries: list[tuple[int, str, str]], removed: list[int]
) -> None:
    index = NameIndex()
    index.add_many(entries)
    for key in removed:
        index.remove(key)
    names = {key: fold(name) for key, name, _ in entries if key not in removed}
    grams = set().union(*(trigrams(folded) for folded in names.values()), trigrams("ab ca"))
    for gram in grams:
        expected = {key for key, folded in names.items() if folded and gram in trigrams(folded)}
        assert index._names_with(gram) == expected, gram
        assert index._names_with_at_most(gram) >= len(expected)
        assert (index._names_with_at_most(gram) == 0) == (not expected)


SAMPLE = [
    ("Humble Lamppost", "humble-lamppost"),
    ("Small Giants", "small-giants"),
    ("Urban Data Platform", "urban-data-platform"),
    ("Untitled: Tools and Platforms", "citizen-tools"),
    ("Réseau Élan", "reseau-elan"),
    ("Data", "data"),
    ("Data Spaces", "data-spaces"),
    ("Metadata Hub", "metadata-hub"),
    ("Dota Lab", "dota-lab"),
    ("Data-Spaces", "data-spaces-2"),
]
