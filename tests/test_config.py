"""config.toml: the example is rendered from the one declaration, and mistakes are named
one per line."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, fleet_problems, load_config, parse_config, with_shards
from bot.config.errors import Invalid
from bot.config.example import render_example
from bot.config.schema import clock, option, options, read, section, sections, shard_spec

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def problems_of(raw: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return caught.value.problems


def test_the_example_is_rendered_from_the_declarations() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == render_example(), (
        "config.example.toml is stale: python -m bot.config.example > config.example.toml"
    )


def test_the_example_lists_every_option_with_its_default() -> None:
    assert load_config(EXAMPLE) == Config()
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert list(example) == [field.name for field in dataclasses.fields(Config)]
    for name, cls in sections(Config).items():
        assert list(example[name]) == [field.name for field in dataclasses.fields(cls)], name
        for key, declared in options(cls).items():
            assert declared.doc.strip(), f"[{name}] {key} has no comment"


def test_a_default_its_kind_refuses_fails_at_declaration() -> None:
    with pytest.raises(Invalid):
        option("25:00", "The time of day.", clock)


def test_each_mistake_is_one_line() -> None:
    problems = problems_of(
        {
            "discord": {"dev_guild_ids": ["abc"]},
            "digest": {"time": "25:00", "weekday": "someday"},
            "meetings": {"reminder_offsets": ["1 fortnight"]},
            "extra": {},
        }
    )
    assert problems == [
        "[discord] dev_guild_ids: must be a list of guild ids (numbers), got ['abc']",
        "[digest] time: must be a time of day like 09:00, got '25:00'",
        "[digest] weekday: must be one of monday, tuesday, wednesday, thursday, friday,"
        " saturday, sunday; got 'someday'",
        "[meetings] reminder_offsets: '1 fortnight' is not a duration;"
        " write it like 1d, 2h, 30m or 45s",
        "[extra]: unknown section (see config.example.toml)",
    ]


def test_a_misspelt_name_is_met_with_the_one_meant() -> None:
    problems = problems_of(
        {
            "community": {"timezone": "Europe/Brusels", "announcement_channel": "news"},
            "digset": {"enabled": False},
            "digest": {"wekday": "friday", "timezone": "europe/paris"},
            "logging": {"level": "VERBOSE"},
            "token": "abc",
        }
    )
    assert problems == [
        "[community] timezone: 'Europe/Brusels' is not a time zone (did you mean Europe/Brussels?)",
        "[community] announcement_channel: unknown key (it belongs under [channels])",
        "[digset]: unknown section (did you mean [digest]?)",
        "[digest] wekday: unknown key (did you mean weekday?)",
        "[digest] timezone: 'europe/paris' is not a time zone (did you mean Europe/Paris?)",
        "[logging] level: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got 'VERBOSE'",
        "token: unknown key outside any section (it belongs under [discord])",
    ]


def test_a_folder_of_zones_is_not_a_zone() -> None:
    """ "Europe" is a folder in the zone database: told, not a traceback."""
    assert problems_of({"community": {"timezone": "Europe"}}) == [
        "[community] timezone: 'Europe' is not a time zone (use an IANA name like Europe/Brussels)"
    ]


def test_a_choice_in_any_case_is_read_as_declared() -> None:
    """The logger takes "INFO", not "info"; the scheduler "monday"."""
    config = parse_config(
        {"logging": {"level": "info"}, "digest": {"weekday": "Friday"}, "channels": {}}
    )
    assert config.logging.level == "INFO"
    assert config.digest.weekday == "friday"


def test_a_section_that_is_not_a_table() -> None:
    assert problems_of({"digest": True}) == [
        "[digest]: must be a section: a line [digest], then its options"
    ]


def test_values_are_read_into_what_agora_uses() -> None:
    config = parse_config(
        {
            "discord": {"dev_guild_ids": [42]},
            "meetings": {"reminder_offsets": ["1h", "2d", "1h", "0s"]},
            "digest": {"time": tomllib.loads("t = 07:30:00")["t"]},
            "activity": {"flush_interval_seconds": 2},
        }
    )
    assert config.discord.dev_guild_ids == (42,)
    assert config.meetings.reminder_offsets == (172800, 3600, 0)
    assert config.digest.time == "07:30"
    assert config.activity.flush_interval_seconds == 2.0
    assert config.community == Config().community


def test_a_file_s_mistakes_start_with_its_name(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('[meetings]\nreminder_offsets = "1d"\n[nudges]\nquiet_days = 0\n')
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert caught.value.problems == [
        f'{file}: [meetings] reminder_offsets: must be a list of durations like ["1d", "1h",'
        " \"0s\"], got '1d'",
        f"{file}: [nudges] quiet_days: must be at least 1, got 0",
    ]


@pytest.mark.parametrize(
    ("write", "said"),
    [
        (lambda file: None, "no such file (copy config.example.toml)"),
        (lambda file: file.write_bytes(b"[digest]\nweekday = '\xff'\n"), "not UTF-8 text"),
        (lambda file: file.write_text("[digest\n"), "not valid TOML: "),
        (lambda file: file.mkdir(), "cannot be read (Is a directory)"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_line(tmp_path: Path, write: object, said: str) -> None:
    file = tmp_path / "config.toml"
    write(file)
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    [line] = caught.value.problems
    assert line.startswith(f"{file}: {said}")


@dataclasses.dataclass(frozen=True)
class _StoreSection:
    """A section declared the way Agora's are."""

    url: str = option("", "Where the data is; it may hold a password.", secret=True)
    pool: int = option(4, "Connections kept open.")


@dataclasses.dataclass(frozen=True)
class _Root:
    store: _StoreSection = section(_StoreSection)


def test_an_option_declared_secret_is_never_echoed() -> None:
    """Not only names like token: an option marked secret hides its value in every line."""
    with pytest.raises(ConfigError) as caught:
        read(_Root, {"store": {"url": ["postgresql://agora:s3cret@db/agora"], "pool": "8"}})
    assert caught.value.problems == [
        "[store] url: must be a string, got <hidden>",
        "[store] pool: must be a whole number, got '8'",
    ]


def test_one_declaration_gives_the_default_the_reading_and_the_comment() -> None:
    assert read(_Root, {}) == _Root() == _Root(_StoreSection(url="", pool=4))
    assert read(_Root, {"store": {"pool": 9}}).store.pool == 9
    assert options(_StoreSection)["pool"].doc == "Connections kept open."


def test_the_database_is_a_sqlite_path_or_a_url() -> None:
    assert Config().database.location == "agora.db"
    assert parse_config({"database": {"path": "data/a.db"}}).database.location == "data/a.db"
    for url in ("sqlite:///data/a.db", "postgresql://agora@db:5432/agora"):
        assert parse_config({"database": {"url": url}}).database.location == url
    with pytest.raises(ConfigError) as caught:
        parse_config({"database": {"url": "mysql://agora:hunter2@db/agora"}})
    (problem,) = caught.value.problems
    assert problem.startswith("[database] url: must be")
    assert "hunter2" not in problem and "mysql://agora:***@db/agora" in problem


def test_shards_are_read_and_checked_against_the_count() -> None:
    assert parse_config({}).discord.sharded is False  # 0: no sharding, as before
    config = parse_config({"discord": {"shard_count": 8, "shard_ids": [4, 5, 6, 7]}})
    assert (config.discord.shard_count, config.discord.shard_ids) == (8, (4, 5, 6, 7))
    assert parse_config({"discord": {"shard_count": 2}}).discord.shard_ids == ()
    assert problems_of({"discord": {"shard_ids": [0, 1]}}) == [
        "[discord] shard_ids: needs shard_count, the number of shards of the whole fleet"
    ]
    assert problems_of({"discord": {"shard_count": 4, "shard_ids": [0, 5, 7]}}) == [
        "[discord] shard_ids: shards 5, 7 are outside 0..3 (shard_count is 4)"
    ]
    assert problems_of({"discord": {"shard_count": 2, "shard_ids": [1, 0, 1]}}) == [
        "[discord] shard_ids: names shard 1 twice"
    ]
    # A wrong value is named once, without a second line about what follows from it.
    assert problems_of({"discord": {"shard_count": -1, "shard_ids": ["a"]}}) == [
        "[discord] shard_count: must be at least 0, got -1",
        "[discord] shard_ids: must be a list of shard numbers like [0, 1], got ['a']",
    ]


def test_part_of_the_shards_needs_the_shared_database() -> None:
    part = {"discord": {"shard_count": 2, "shard_ids": [1]}}
    (problem,) = fleet_problems(parse_config(part))
    assert problem.startswith("[discord] shard_ids: this process runs only shard 1 of 2")
    assert "SQLite" in problem and "[database] url" in problem
    on_postgres = {**part, "database": {"url": "postgresql://agora@db:5432/agora"}}
    assert fleet_problems(parse_config(on_postgres)) == []
    every = {"discord": {"shard_count": 2, "shard_ids": [0, 1]}}
    assert fleet_problems(parse_config(every)) == []
    assert fleet_problems(parse_config({"discord": {"shard_count": 2}})) == []


def test_the_command_line_shards_override_the_file() -> None:
    config = parse_config({"discord": {"shard_count": 8, "shard_ids": [0, 1, 2, 3]}})
    moved = with_shards(config, shard_spec("4-7"), None)
    assert (moved.discord.shard_count, moved.discord.shard_ids) == (8, (4, 5, 6, 7))
    assert with_shards(config, None, 4).discord.shard_ids == (0, 1, 2, 3)
    assert shard_spec("0,2,5") == (0, 2, 5)
    assert shard_spec("0-1, 6") == (0, 1, 6)
    for spec, why in [
        ("3-1", "the range 3-1 runs backwards (write 1-3)"),
        ("0-2,2", "names shard 2 twice"),
        ("a", "must be shard numbers like 0-3 or 0,2,5, got 'a'"),
        ("", "must be shard numbers like 0-3 or 0,2,5, got ''"),
    ]:
        with pytest.raises(Invalid) as caught:
            shard_spec(spec)
        assert caught.value.why == why
    with pytest.raises(ConfigError) as refused:
        with_shards(config, None, 2)
    assert refused.value.problems == [
        "[discord] shard_ids: shards 2, 3 are outside 0..1 (--shard-count is 2)"
    ]
    with pytest.raises(ConfigError) as refused:
        with_shards(Config(), (0, 1), None)
    assert refused.value.problems == [
        "--shards: needs --shard-count, the number of shards of the whole fleet"
    ]
