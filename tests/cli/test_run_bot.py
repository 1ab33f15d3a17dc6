"""run_bot.py as a user runs it: the scenario runner, the missing-token message, bad config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bot(
    *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_scenario_file_runs_against_the_sandbox() -> None:
    result = run_bot("--sandbox", "--script", str(ROOT / "tests/scenarios/directory_tour.jsonl"))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    for line in lines:
        assert {
            "step",
            "kind",
            "channel",
            "content",
            "embeds",
            "components",
            "ephemeral",
        } <= line.keys()
    info = next(line for line in lines if line["step"] == 1 and line["kind"] == "response")
    assert "10 Million Smart Lampposts across EU Cities" in info["embeds"][0]["description"]
    assert any(line["kind"] == "member_roles" for line in lines if line["step"] == 2)
    # After the restart (step 5) Agora still knows alice joined before it.
    after = next(line for line in lines if line["step"] == 6 and line["kind"] == "response")
    assert "Members: 1" in json.dumps(after["embeds"])


def test_failing_step_exits_non_zero(tmp_path: Path) -> None:
    script = tmp_path / "bad.jsonl"
    script.write_text('{"user": "alice", "slash": "no such command"}\n', encoding="utf-8")
    result = run_bot("--sandbox", "--script", str(script))
    assert result.returncode != 0
    assert "no slash command" in result.stderr and "Traceback" not in result.stderr


def test_no_token_says_how_to_get_one() -> None:
    result = run_bot()
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and "--sandbox" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_config_names_each_wrong_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[community]\ntimezone = "Europe/Atlantis"\n[channels]\ninitiative_channel_kind = "voice"\n'
        "[nudges]\nquiet_dayz = 3\n",
        encoding="utf-8",
    )
    result = run_bot("--config", str(config))
    assert result.returncode == 2
    problems = result.stderr.strip().splitlines()
    assert len(problems) == 3
    assert any("timezone" in p and "Europe/Atlantis" in p for p in problems)
    assert any("initiative_channel_kind" in p for p in problems)
    assert any("quiet_dayz" in p and "unknown key" in p for p in problems)


def test_import_and_export_commands(tmp_path: Path) -> None:
    database = str(tmp_path / "agora.db")
    seed = str(ROOT / "bot/data/eip-scc.toml")
    first = run_bot("--database", database, "import", seed, "--guild", "42")
    assert first.returncode == 0, first.stderr
    assert "15 added" in first.stdout
    second = run_bot("--database", database, "import", seed, "--guild", "42")
    assert "0 added, 0 updated, 15 unchanged, 0 rejected" in second.stdout
    out = tmp_path / "directory.json"
    exported = run_bot("--database", database, "export", str(out), "--guild", "42")
    assert exported.returncode == 0, exported.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["initiatives"]) == 9
    missing = run_bot(
        "--database", database, "import", str(tmp_path / "nope.toml"), "--guild", "42"
    )
    assert missing.returncode == 1 and "nothing changed" in missing.stderr


def test_bad_shards_on_the_command_line_are_one_line_each() -> None:
    for args, said in [
        (["--shards", "0-3"], "--shards: needs --shard-count"),
        (["--shards", "2-0", "--shard-count", "4"], "--shards: the range 2-0 runs backwards"),
        (["--shards", "0-9", "--shard-count", "8"], "--shards: shards 8, 9 are outside 0..7"),
        (["--shards", "one", "--shard-count", "2"], "--shards: must be shard numbers like"),
        (["--shard-count", "0"], "--shard-count: must be a whole number of at least 1"),
        # Part of the fleet on the default SQLite file: refused before connecting.
        (["--shards", "0", "--shard-count", "2"], "[discord] shard_ids: this process runs only"),
    ]:
        result = run_bot(*args, env={"DISCORD_TOKEN": "not-used"})
        assert result.returncode == 2, args
        assert result.stderr.strip().splitlines() == [result.stderr.strip()], args
        assert result.stderr.startswith(said), (args, result.stderr)
