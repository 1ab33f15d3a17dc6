"""README.md stays true: it names every slash command Agora registers."""

from __future__ import annotations

from pathlib import Path

from discord import app_commands

from bot.runtime import RunningAgora

README = Path(__file__).resolve().parents[1] / "README.md"


def leaf_commands(bot_tree: app_commands.CommandTree) -> list[str]:  # type: ignore[type-arg]
    names: list[str] = []

    def walk(command: app_commands.Command | app_commands.Group) -> None:  # type: ignore[type-arg]
        if isinstance(command, app_commands.Group):
            for child in command.commands:
                walk(child)
        else:
            names.append(command.qualified_name)

    for command in bot_tree.get_commands():
        walk(command)  # type: ignore[arg-type]
    return names


async def test_readme_lists_every_command(agora: RunningAgora) -> None:
    readme = README.read_text(encoding="utf-8")
    commands = leaf_commands(agora.bot.tree)
    assert len(commands) > 30
    missing = []
    for name in commands:
        words = name.split()
        # "/initiative join <initiative>` / `leave`" names leave too; so accept the
        # group and the last word together, or the full path.
        if f"/{name}" not in readme and not (
            f"/{' '.join(words[:-1])}" in readme and f"`{words[-1]}`" in readme
        ):
            missing.append(name)
    assert not missing, f"README.md does not mention: {missing}"
