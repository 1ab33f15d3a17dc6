"""The in-memory name index behind autocomplete: folding, distances, tiers, updates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.common.fuzzy import (
    EXACT,
    PREFIX,
    SUBSTRING,
    TYPO,
    WORD_PREFIX,
    NameIndex,
    edit_distance,
    fold,
    word_distance,
)


def test_fold_drops_case_accents_and_punctuation() -> None:
    assert fold("Innovate.City - Réseau ÉLAN") == "innovate city reseau elan"
    assert fold("  ‘Small Giant’ ") == "small giant"
    assert fold("!!!") == ""


def test_edit_distance_counts_swaps_as_one_and_caps_at_limit_plus_one() -> None:
    assert edit_distance("lampost", "lamppost", 2) == 1
    assert edit_distance("gaints", "giants", 2) == 1
    assert edit_distance("abc", "abc", 0) == 0
    assert edit_distance("abcdef", "uvwxyz", 2) == 3
    assert edit_distance("a", "abcdef", 1) == 2


def test_word_distance_accepts_a_word_still_being_typed() -> None:
    assert word_distance("lampo", "lamppost", 1) == 1  # "lampp" with one typo
    assert word_distance("urbn", "urban", 1) == 1


def index_of(*names: str) -> NameIndex:
    index = NameIndex()
    for key, name in enumerate(names):
        index.add(key, name, "-".join(fold(name).split()))
    return index


def test_tiers_rank_exact_then_prefix_then_word_prefix_then_substring_then_typo() -> None:
    index = index_of("Data", "Data Spaces", "Urban Data", "Metadata Hub", "Dota Lab")
    matches = index.search("data")
    assert [(m.key, m.tier) for m in matches] == [
        (0, EXACT),
        (1, PREFIX),
        (2, WORD_PREFIX),
        (3, SUBSTRING),
        (4, TYPO),
    ]


def test_slug_matches_count_as_exact() -> None:
    index = NameIndex()
    index.add(1, "Untitled: Tools and Platforms", "citizen-tools")
    assert [(m.key, m.tier) for m in index.search("citizen-tools")] == [(1, EXACT)]


def test_remove_and_rename_update_every_view() -> None:
    index = index_of("Humble Lamppost", "Small Giants")
    assert index.search("lamp")[0].key == 0  # builds the sorted views
    index.remove(0)
    assert index.search("lamp") == []
    index.add(0, "Tall Lampposts", "tall-lampposts")
    assert [m.key for m in index.search("lamp")] == [0]
    index.add(1, "Huge Giants", "huge-giants")  # re-adding a key renames it
    assert index.search("small") == []
    assert [m.key for m in index.search("huge")] == [1]
    assert len(index) == 2


def test_closest_always_offers_something_when_any_trigram_is_shared() -> None:
    index = index_of("Humble Lamppost", "Small Giants", "Urban Data Platform")
    assert index.closest("platfrom thing", 1) == [2]
    assert index.closest("", 3) == []


names = st.text(alphabet="abcde xyz", min_size=1, max_size=20).filter(lambda s: fold(s) != "")


@settings(max_examples=60)
@given(operations=st.lists(st.tuples(st.integers(0, 15), st.one_of(st.none(), names)), max_size=40))
def test_search_agrees_with_a_plain_scan_after_any_adds_and_removes(
    operations: list[tuple[int, str | None]],
) -> None:
    index = NameIndex()
    present: dict[int, str] = {}
    for key, name in operations:
        if name is None:
            index.remove(key)
            present.pop(key, None)
        else:
            index.add(key, name)
            present[key] = name
        index.search(name or "a")  # interleave searches so the incremental views are used
    for key, name in present.items():
        found = index.search(name, limit=25)
        assert all(match.key in present for match in found)
        exact = {k for k, n in present.items() if fold(n) == fold(name)}
        assert key in {m.key for m in found} or len(exact) > 25
        assert found[0].tier == EXACT
    # Every name containing the query (3+ letters) is found when they fit the limit;
    # shorter queries match the starts of words only.
    for query in ("abc", "cde", "xyz", "a", "b"):
        if len(query) >= 3:
            expected = {k for k, n in present.items() if query in fold(n)}
        else:
            expected = {
                k for k, n in present.items() if any(w.startswith(query) for w in fold(n).split())
            }
        if len(expected) <= 25:
            assert expected <= {m.key for m in index.search(query)}
