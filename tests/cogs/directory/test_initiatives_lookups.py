"""/initiative search and /initiative list end to end: ranking, odd input, cluster filter."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox


async def test_search_ranks_and_survives_odd_input(sandbox: Sandbox, agora: RunningAgora) -> None:
    alice = sandbox.user("alice")

    ranked = await alice.slash("initiative search", query="urban data platform")
    assert ranked.embed is not None and not ranked.ephemeral
    lines = ranked.embed["description"].split("\n")
    assert lines[0].startswith("**Urban Data Platform** · Integrated Infrastructures")
    assert "best first" in ranked.embed["footer"]["text"]

    # Goals are searched too; words are prefixes ("lamp" finds "Lampposts").
    by_goal = await alice.slash("initiative search", query="lamp")
    assert by_goal.embed is not None
    assert by_goal.embed["description"].startswith("**Humble Lamppost**")

    # No initiative has every word: the ones with any word, best first.
    any_word = await alice.slash("initiative search", query="lamppost budgeting")
    assert any_word.embed is not None
    assert "Humble Lamppost" in any_word.embed["description"]
    assert "Participatory Budgeting" in any_word.embed["description"]

    # FTS5 syntax in user input is plain text: no crash, an answer either way.
    for odd in ['"AND(*', "*", ")", "NEAR(a b", "data OR", "-", "ünïcödé"]:
        result = await alice.slash("initiative search", query=odd)
        assert not result.failed
        assert "went wrong" not in result.text, (odd, result.text)
        assert result.embed is not None or "Nothing matches" in result.text, (odd, result.text)
    nothing = await alice.slash("initiative search", query="zeppelin")
    assert nothing.ephemeral and "Nothing matches “zeppelin”" in nothing.text


async def test_list_filters_by_cluster(sandbox: Sandbox, agora: RunningAgora) -> None:
    alice = sandbox.user("alice")

    everything = await alice.slash("initiative list")
    assert everything.embed is not None
    assert everything.embed["footer"]["text"] == "Page 1 of 1 · 9 in all"

    # The cluster option autocompletes by part of its name, value = slug.
    choices = await alice.autocomplete("initiative list", "cluster", "infrastr")
    assert [c["value"] for c in choices] == ["integrated-infrastructures-processes"]

    filtered = await alice.slash("initiative list", cluster="integrated-infrastructures-processes")
    assert filtered.embed is not None
    assert filtered.embed["title"] == "Initiatives of Integrated Infrastructures and Processes"
    names = [line for line in filtered.embed["description"].split("\n") if line.startswith("**")]
    assert [n.split("**")[1] for n in names] == [
        "Humble Lamppost",
        "Small Giants",
        "Space4Cities",
        "Urban Data Platform",
    ]
    assert "Members: 0 · Documents: 0 · Projects: 0" in filtered.embed["description"]

    by_name = await alice.slash("initiative list", cluster="citizen focus")
    assert by_name.embed is not None and "4 in all" in by_name.embed["footer"]["text"]
    empty = await alice.slash("initiative list", cluster="sustainable-urban-mobility")
    assert empty.embed is not None and "No initiatives yet" in empty.embed["description"]
    unknown = await alice.slash("initiative list", cluster="Space Travel")
    assert unknown.ephemeral and "No Action Cluster named “Space Travel”" in unknown.text
    assert "Citizen Focus" in unknown.text  # it lists the real ones
