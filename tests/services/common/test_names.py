"""Names and links people read: normalised, nothing invisible, no look-alikes, no lying links.

Unit tests of ``bot/services/common/names.py`` and ``bot/services/common/links.py``, and of the
services that use them (directory, importer) on a real SQLite file.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import AsyncIterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.errors import Conflict, InvalidInput
from bot.services.common.fuzzy import fold
from bot.services.common.links import escape_markdown, link_host, masked_link
from bot.services.common.names import (
    clean_text,
    invisible_problem,
    is_invisible,
    normalise_name,
    skeleton,
)
from bot.services.directory.importer import MAX_NESTING, parse_document
from tests.support.directory import ADMIN, GUILD, Core, open_core

# Latin letters and the Cyrillic letters drawn the same.
CYRILLIC_TWINS = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у"}
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066"]
latin_names = st.text(alphabet="acepoxy LMNT", min_size=1, max_size=30).filter(lambda s: s.strip())


@pytest.fixture
async def core(database_url: str) -> AsyncIterator[Core]:
    async with open_core(database_url) as core:
        await core.seed()
        yield core


# --------------------------------------------------------------------------- names


def test_names_are_stored_nfkc() -> None:
    assert normalise_name("  Cafe\u0301 Lab ") == "Café Lab"
    assert normalise_name("\uff23\uff41\uff46\u00e9 \uff2c\uff41\uff42") == "Café Lab"
    assert normalise_name("Smart \ufb01eld") == "Smart field"


@pytest.mark.parametrize("char", INVISIBLES)
def test_invisible_characters_are_refused_by_name(char: str) -> None:
    problem = invisible_problem(f"Humble{char} Lamppost")
    assert problem is not None
    assert f"U+{ord(char):04X} {unicodedata.name(char)}" in problem
    assert "at position 7" in problem


def test_plain_names_have_no_problem() -> None:
    for name in ("Humble Lamppost", "Zürich Łódź", "Москва", "東京 Lab", "Smart ❤️ City"):
        assert invisible_problem(name) is None, name
    assert invisible_problem("two\nlines") == "the name must be on one line"


@given(name=latin_names, data=st.data())
def test_cyrillic_twins_have_the_latin_skeleton(name: str, data: st.DataObject) -> None:
    swapped = "".join(
        CYRILLIC_TWINS[c] if c in CYRILLIC_TWINS and data.draw(st.booleans()) else c for c in name
    )
    assert skeleton(swapped) == skeleton(name)
    assert fold(swapped) == fold(name)  # the name index reads them alike too


@given(name=latin_names, char=st.sampled_from(INVISIBLES), at=st.integers(0, 30))
def test_invisible_characters_are_cleaned_from_titles(name: str, char: str, at: int) -> None:
    spoofed = name[:at] + char + name[at:]
    assert invisible_problem(spoofed) is not None
    assert clean_text(spoofed) == name


def test_skeletons_tell_different_names_apart() -> None:
    assert skeleton("Café Lab") == skeleton("CAFÉ  LAB") == skeleton("Café 1ab")
    assert skeleton("Café Lab") != skeleton("Cafe Lab")  # an accent shows
    assert skeleton("Humble Lamppost") != skeleton("Humble Lampposts")


def test_clean_text_keeps_emoji_sequences_and_line_breaks() -> None:
    assert clean_text("Team 👩\u200d💻 day") == "Team 👩\u200d💻 day"
    assert clean_text("a\u200db") == "ab"
    assert clean_text("line one\nline two") == "line one\nline two"
    assert not any(is_invisible(c) for c in clean_text("\u202eabc\u202c\u2067x\u2069"))


def test_fold_drops_invisibles_and_reads_a_zero_width_space_as_a_space() -> None:
    assert fold("Hum\u2060ble Lamp\u00adpost") == "humble lamppost"
    assert fold("Humble\u200bLamppost") == "humble lamppost"
    assert fold("Réseau ÉLAN – Ville") == "reseau elan ville"


# --------------------------------------------------------------------------- services


async def test_create_and_rename_refuse_look_alikes(core: Core) -> None:
    count = len(await core.directory.all_initiatives(GUILD))
    with pytest.raises(Conflict) as caught:
        await core.directory.create_initiative(
            GUILD, ADMIN, "Humble L\u0430mppost", "citizen-focus", slug="humble-2"
        )
    assert "looks the same as 'Humble Lamppost'" in caught.value.message
    with pytest.raises(InvalidInput) as invisible:
        await core.directory.create_initiative(
            GUILD, ADMIN, "Small\u200b Giants 2", "citizen-focus"
        )
    assert "U+200B ZERO WIDTH SPACE" in invisible.value.message
    created = await core.directory.create_initiative(
        GUILD, ADMIN, "\uff2e\uff45\uff57 Lab", "citizen-focus"
    )
    assert created.name == "New Lab" and created.slug == "new-lab"
    with pytest.raises(Conflict) as renamed:
        await core.directory.edit_initiative(GUILD, ADMIN, "new-lab", name="Small G\u0456ants")
    assert "looks the same as 'Small Giants'" in renamed.value.message
    # Its own name, respelled, is no clash with itself.
    same = await core.directory.edit_initiative(GUILD, ADMIN, "new-lab", name="NEW LAB")
    assert same.name == "NEW LAB"
    assert len(await core.directory.all_initiatives(GUILD)) == count + 1


async def test_import_rejects_look_alike_clusters(core: Core) -> None:
    document = {
        "format_version": 1,
        "clusters": [{"slug": "citizen-focus-2", "name": "Citizen F\u043ecus"}],
    }
    report = await core.importer.import_directory(GUILD, json.dumps(document).encode(), "c.json")
    assert [r.reason for r in report.rejected] == [
        "the name 'Citizen Fоcus' looks the same as 'Citizen Focus' (cluster `citizen-focus`);"
        " pick a name that reads differently"
    ]


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        ('{"format_version": 1, "format_version": 1}', "d.json", "'format_version' twice"),
        ("[" * 100_000 + "]" * 100_000, "d.json", f"more than {MAX_NESTING} levels deep"),
        ("a = " + "{b = " * 3_000 + "1" + "}" * 3_000, "d.toml", "levels deep"),
        ("format_version = " + "1" * 5_000, "d.toml", "thousands of digits"),
        ('{"format_version": 1' + "0" * 30 + "}", "d.json", "format_version a number of 31"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(data: str, filename: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_document(data.encode(), filename)
    assert reason in caught.value.message
    assert len(caught.value.message) < 300


# --------------------------------------------------------------------------- links


def test_masked_links_show_the_real_host() -> None:
    assert masked_link("Report", "https://evil.example/phish") == (
        "[Report](https://evil.example/phish) (evil.example)"
    )
    assert masked_link("https://good.example/a_b.pdf", "https://evil.example/x") == (
        "[https\\:\\/\\/good.example/a\\_b.pdf](https://evil.example/x) (evil.example)"
    )
    assert link_host("https://good.example@evil.example:8443/") == "evil.example:8443"
    assert link_host("https://p\u0430ypal.com/") == "xn--pypal-4ve.com"


@given(title=st.text(max_size=60))
@example(title="://")  # the escaped colon alone left "\\://" in the label
@example(title="\\https:///good.example")
def test_no_title_makes_a_second_link_or_hides_the_host(title: str) -> None:
    line = masked_link(title, "https://evil.example/x")
    label = line[1 : line.index("](https://evil.example/x)")]
    assert "[" not in label and "]" not in label  # it cannot close the link or open one
    assert "://" not in label  # no URL Discord would auto-link
    assert line.endswith(") (evil.example)")


def test_escaped_venues_stay_text() -> None:
    assert escape_markdown("# Hall [A](https://x.example)") == (
        "\\# Hall \\[A\\](https\\://x.example)"
    )
