"""config.toml: the example is complete and true, and mistakes are named one per line."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def test_example_documents_every_option_with_its_default() -> None:
    assert load_config(EXAMPLE) == Config()
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Config()
    for section in dataclasses.fields(Config):
        options = {option.name for option in dataclasses.fields(getattr(defaults, section.name))}
        assert set(example[section.name]) == options, section.name


def test_each_mistake_is_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "discord": {"dev_guild_ids": ["abc"]},
                "digest": {"time": "25:00", "weekday": "someday"},
                "meetings": {"reminder_offsets": ["1 fortnight"]},
                "extra": {},
            }
        )
    problems = caught.value.problems
    assert len(problems) == 5
    assert any(p.startswith("[discord] dev_guild_ids:") for p in problems)
    assert any(p.startswith("[digest] time:") for p in problems)
    assert any(p.startswith("[digest] weekday:") for p in problems)
    assert any(p.startswith("[meetings] reminder_offsets:") for p in problems)
    assert any(p.startswith("[extra]:") for p in problems)
