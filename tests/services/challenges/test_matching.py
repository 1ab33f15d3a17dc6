"""The challenge matcher: its quality on a labelled set of challenges, and the rules
every proposal keeps (tables of 2-6, one challenge per initiative at a table, every
challenge placed once, the same tables whatever the input order)."""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.challenges.matching import (
    DEFAULT_THRESHOLD,
    MAX_TABLE,
    Challenge,
    Matching,
    match_challenges,
)

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[2] / "bot" / "data" / "eip-scc.toml"
DATA = tomllib.loads((HERE / "challenges.toml").read_text(encoding="utf-8"))
INITIATIVE_IDS = {name: n for n, name in enumerate(DATA["initiatives"], start=1)}
LABELLED = [
    Challenge(row["id"], INITIATIVE_IDS[row["initiative"]], row["title"], row["description"])
    for row in DATA["challenges"]
]
GROUPS: dict[int, str | None] = {row["id"]: row.get("group") for row in DATA["challenges"]}


def normalized(text: str) -> str:
    return " " + " ".join(re.findall(r"[^\W_]+", text.lower())) + " "


def pairwise(matching: Matching) -> tuple[float, float, int, int]:
    """Pairwise precision and recall against GROUPS, and the pairs expected and proposed."""
    expected = {
        frozenset(pair)
        for pair in itertools.combinations(sorted(GROUPS), 2)
        if GROUPS[pair[0]] is not None and GROUPS[pair[0]] == GROUPS[pair[1]]
    }
    proposed = {
        frozenset(pair)
        for table in matching.tables
        for pair in itertools.combinations(table.challenge_ids, 2)
    }
    right = len(expected & proposed)
    precision = right / len(proposed) if proposed else 1.0
    return precision, right / len(expected), len(expected), len(proposed)


def check_rules(challenges: list[Challenge], matching: Matching) -> None:
    """What every proposal keeps, whatever the input."""
    by_id = {c.id: c for c in challenges}
    placed = [i for table in matching.tables for i in table.challenge_ids]
    placed += list(matching.unmatched)
    assert sorted(placed) == sorted(by_id), "every challenge at one table or unmatched"
    for table in matching.tables:
        assert 2 <= len(table.challenge_ids) <= MAX_TABLE
        assert list(table.challenge_ids) == sorted(table.challenge_ids)
        initiatives = [by_id[i].initiative_id for i in table.challenge_ids]
        assert len(set(initiatives)) == len(initiatives), "one challenge per initiative"
        # Explained: each shared term is written in one of the table's challenges.
        assert 1 <= len(table.shared_terms) <= 4
        texts = [
            normalized(f"{by_id[i].title}. {by_id[i].description}") for i in table.challenge_ids
        ]
        for term in table.shared_terms:
            assert any(f" {term} " in text for text in texts), term
        assert 0 < table.cohesion <= 1 + 1e-9
    assert list(matching.unmatched) == sorted(matching.unmatched)


def test_the_labelled_set_is_as_described() -> None:
    seed = tomllib.loads(SEED.read_text(encoding="utf-8"))
    seed_names = [row["name"] for row in seed["initiatives"]]
    assert set(seed_names) <= set(DATA["initiatives"]), "every seed initiative, as named"
    assert len(LABELLED) >= 40
    assert len({c.initiative_id for c in LABELLED}) >= 15
    assert len({c.id for c in LABELLED}) == len(LABELLED)
    members: dict[str, list[Challenge]] = {}
    for challenge in LABELLED:
        assert len(challenge.description) <= 1000 and len(challenge.title) <= 100
        group = GROUPS[challenge.id]
        if group is not None:
            members.setdefault(group, []).append(challenge)
    for group, challenges in members.items():
        assert 2 <= len(challenges) <= MAX_TABLE, group
        initiatives = [c.initiative_id for c in challenges]
        assert len(set(initiatives)) == len(initiatives), group
    assert sum(GROUPS[c.id] is None for c in LABELLED) >= 5, "challenges with no partner"


def test_quality_on_the_labelled_set(report_quality: list[str]) -> None:
    matching = match_challenges(LABELLED)
    precision, recall, expected, proposed = pairwise(matching)
    line = (
        f"challenge matcher on {len(LABELLED)} labelled challenges at threshold "
        f"{DEFAULT_THRESHOLD}: precision {precision:.3f}, recall {recall:.3f} "
        f"({expected} pairs belong together, {proposed} proposed; "
        f"{len(matching.tables)} tables, {len(matching.unmatched)} unmatched)"
    )
    print(line)
    report_quality.append(line)
    check_rules(LABELLED, matching)
    assert recall >= 0.80
    assert 1 - precision < 0.15


def test_labelled_tables_name_what_they_share() -> None:
    tables = {
        table.challenge_ids: table.shared_terms for table in match_challenges(LABELLED).tables
    }
    lighting = next(terms for ids, terms in tables.items() if 1 in ids)
    assert "street lighting" in lighting
    data = next(terms for ids, terms in tables.items() if 5 in ids)
    assert "data sharing" in data
    renovation = next(terms for ids, terms in tables.items() if 28 in ids)
    assert "energy renovation" in renovation


def test_sharing_of_data_meets_data_sharing() -> None:
    challenges = [
        Challenge(1, 10, "Data sharing with utilities", "Utilities will not give us their data."),
        Challenge(2, 20, "Sharing of data by companies", "Firms keep their data to themselves."),
        Challenge(3, 30, "Potholes after winter", "Frost breaks the road surface every March."),
    ]
    matching = match_challenges(challenges)
    assert [t.challenge_ids for t in matching.tables] == [(1, 2)]
    assert matching.tables[0].shared_terms[0] in ("data sharing", "sharing of data")
    assert matching.unmatched == (3,)


def test_one_initiative_never_sits_twice_at_a_table_and_ties_go_to_the_smallest_id() -> None:
    text = "Dimming LED street lighting at night saves energy but residents feel unsafe."
    challenges = [
        Challenge(3, 2, "Dimming street lights", text),
        Challenge(2, 1, "Dimming street lights", text),
        Challenge(1, 1, "Dimming street lights", text),
    ]
    matching = match_challenges(challenges)
    assert [t.challenge_ids for t in matching.tables] == [(1, 3)]
    assert matching.unmatched == (2,)


def test_a_crowded_topic_is_split_into_tables_of_at_most_six() -> None:
    openings = ["Our", "The", "Each", "Every", "Old", "Many", "Most"]
    challenges = [
        Challenge(
            n,
            n,
            f"Street lighting retrofit {n}",
            f"{openings[n % 7]} sodium street lamps need LED luminaires; dimming the "
            f"street lighting at night cuts the energy bill (district {n}).",
        )
        for n in range(1, 15)
    ]
    matching = match_challenges(challenges)
    check_rules(challenges, matching)
    assert sorted(len(t.challenge_ids) for t in matching.tables) == [2, 6, 6]


def test_unrelated_challenges_are_left_unmatched() -> None:
    challenges = [
        Challenge(1, 1, "Potholes after winter", "Frost breaks the road surface every March."),
        Challenge(2, 2, "Tourists crowd the old town", "Day visitors overwhelm the centre."),
        Challenge(3, 3, "Heat pump noise", "Neighbours complain about outdoor units humming."),
    ]
    assert match_challenges(challenges) == Matching(tables=(), unmatched=(1, 2, 3))


def test_no_challenges_and_one_challenge() -> None:
    assert match_challenges([]) == Matching(tables=(), unmatched=())
    alone = Challenge(5, 1, "Open data", "Nobody uses our open data portal.")
    assert match_challenges([alone]) == Matching(tables=(), unmatched=(5,))


def test_duplicate_ids_are_refused() -> None:
    twice = Challenge(1, 1, "Open data", "Nobody uses our open data portal.")
    with pytest.raises(ValueError, match="unique"):
        match_challenges([twice, twice])


# Property tests: challenges put together from the labelled set's titles and sentences
# (so that many are similar, and tables fill up), from a handful of initiatives (so that
# several challenges of one initiative often compete for a table).
SENTENCES = sorted(
    {
        sentence
        for c in LABELLED
        for sentence in re.split(r"(?<=[.?!])\s+", c.description.strip())
        if sentence
    }
)
TITLES = sorted({c.title for c in LABELLED})


@st.composite
def challenge_lists(draw: st.DrawFn) -> list[Challenge]:
    ids = draw(st.lists(st.integers(-1000, 10**9), min_size=0, max_size=30, unique=True))
    return [
        Challenge(
            id=challenge_id,
            initiative_id=draw(st.integers(0, 5)),
            title=draw(st.sampled_from(TITLES)),
            description=" ".join(
                draw(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4))
            ),
        )
        for challenge_id in ids
    ]


@settings(max_examples=150)
@given(
    challenges=challenge_lists(),
    threshold=st.sampled_from([0.01, DEFAULT_THRESHOLD, 0.3]),
    data=st.data(),
)
def test_proposals_keep_the_rules_and_ignore_input_order(
    challenges: list[Challenge], threshold: float, data: st.DataObject
) -> None:
    matching = match_challenges(challenges, threshold=threshold)
    check_rules(challenges, matching)
    shuffled = data.draw(st.permutations(challenges))
    assert match_challenges(shuffled, threshold=threshold) == matching
