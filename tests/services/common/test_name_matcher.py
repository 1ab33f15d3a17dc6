"""The name matcher: tiers, the typo bound, what is used, suggested, listed or refused."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput, NotFound
from bot.services.common.name_matcher import (
    Candidate,
    Kind,
    join_names,
    pick,
    rank_names,
    split_names,
    typo_bound,
)

KIND = Kind(
    singular="initiative",
    plural="initiatives",
    missing="No initiative named “{typed}”.",
    where="/initiative list shows them all.",
)
NAMES = [
    "Humble Lamppost",
    "Urban Data Platform",
    "Small Giants",
    "Space4Cities",
    "Citizen Centric Approach to Data",
    "Business Models, Finance & Procurement",
]
CANDIDATES = [Candidate(index, name) for index, name in enumerate(NAMES)]


def test_typo_bound_grows_with_length() -> None:
    assert [typo_bound("x" * n) for n in (1, 4, 7, 8, 15, 16)] == [1, 1, 1, 2, 3, 4]


def test_exact_is_used_whatever_the_case_and_punctuation() -> None:
    found = pick("  humble LAMPPOST ", CANDIDATES, KIND)
    assert (found.key, found.name, found.corrected) == (0, "Humble Lamppost", False)
    assert found.note() == ""
    assert pick("business models finance procurement", CANDIDATES, KIND).key == 5


def test_one_typo_within_the_bound_is_used_and_noted() -> None:
    found = pick("humble lampost", CANDIDATES, KIND, "close")
    assert found.key == 0 and found.corrected
    assert found.note() == 'Showing Humble Lamppost (you typed "humble lampost").'
    assert found.note("Added to").startswith("Added to Humble Lamppost")


@pytest.mark.parametrize("accept", ["exact", "partial"])
def test_a_typo_is_only_suggested_unless_accepted(accept: str) -> None:
    with pytest.raises(NotFound) as caught:
        pick("humble lampost", CANDIDATES, KIND, accept)  # type: ignore[arg-type]
    assert caught.value.message == (
        "No initiative named “humble lampost”. Did you mean: Humble Lamppost? "
        "Run the command again with that name."
    )


def test_a_part_of_one_name_is_used_unless_exact_is_required() -> None:
    assert pick("lamppost", CANDIDATES, KIND, "partial").key == 0
    assert not pick("small gi", CANDIDATES, KIND, "close").corrected
    with pytest.raises(NotFound, match="Did you mean: Humble Lamppost"):
        pick("lamppost", CANDIDATES, KIND, "exact")


def test_two_typos_equally_close_are_not_guessed() -> None:
    twins = [Candidate(1, "Lamppost Soup"), Candidate(2, "Lamppost Soul")]
    with pytest.raises(NotFound) as caught:
        pick("lamppost souq", twins, KIND, "close")
    assert caught.value.message == (
        "No initiative named “lamppost souq”. Did you mean one of: Lamppost Soul; "
        "Lamppost Soup? Run the command again with one of them."
    )


def test_several_partial_matches_are_listed_up_to_five() -> None:
    many = [Candidate(i, f"Data Lab {i}", detail=f"0{i} Jun 2027 09:00") for i in range(1, 8)]
    with pytest.raises(InvalidInput) as caught:
        pick("data lab", many, KIND, "close")
    assert caught.value.message == (
        "Several initiatives match “data lab”: Data Lab 1 (01 Jun 2027 09:00); "
        "Data Lab 2 (02 Jun 2027 09:00); Data Lab 3 (03 Jun 2027 09:00); "
        "Data Lab 4 (04 Jun 2027 09:00); Data Lab 5 (05 Jun 2027 09:00); and 2 more; "
        "pick one from the list or type more of its name."
    )


def test_same_name_twice_is_listed_not_guessed() -> None:
    twins = [Candidate(1, "Workshop", detail="01 Jun"), Candidate(2, "Workshop", detail="08 Jun")]
    with pytest.raises(InvalidInput, match=r"Workshop \(01 Jun\); Workshop \(08 Jun\)"):
        pick("workshop", twins, KIND, "close")


def test_unrelated_names_suggest_nothing() -> None:
    with pytest.raises(NotFound) as caught:
        pick("Flying Cars", CANDIDATES, KIND, "close")
    assert caught.value.message == (
        "No initiative named “Flying Cars”. /initiative list shows them all."
    )
    assert rank_names("Flying Cars", CANDIDATES) == []


def test_related_but_far_names_are_suggested_not_used() -> None:
    with pytest.raises(NotFound, match=r"Did you mean: Humble Lamppost\?"):
        pick("Humble Lampole Project", CANDIDATES, KIND, "close")


def test_small_sets_list_every_name_when_nothing_is_close() -> None:
    clusters = Kind("Action Cluster", "clusters", "No Action Cluster named “{typed}”.", "", 30)
    with pytest.raises(NotFound) as caught:
        pick("Space Travel", [Candidate(1, "Citizen Focus"), Candidate(2, "A, B")], clusters)
    assert caught.value.message.endswith("The clusters are: Citizen Focus; A, B.")


def test_rank_orders_exact_then_part_then_typo() -> None:
    names = [Candidate(i, n) for i, n in enumerate(["Data Hub", "Open Data", "Data", "Date"])]
    assert [c.name for c in rank_names("data", names)] == ["Data", "Data Hub", "Open Data", "Date"]
    assert [c.name for c in rank_names("", names)] == ["Data Hub", "Open Data", "Data", "Date"]
    assert [c.name for c in rank_names("humbel", CANDIDATES)] == ["Humble Lamppost"]


def test_lists_split_on_semicolons_and_lines_not_commas() -> None:
    assert split_names("Business Models, Finance and Procurement; Citizen Focus\nSmall;;") == [
        "Business Models, Finance and Procurement",
        "Citizen Focus",
        "Small",
    ]
    assert join_names(["A, B", "C"]) == "A, B; C"
