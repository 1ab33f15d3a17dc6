"""The layout docs/architecture.md describes, checked: the import contracts of
pyproject.toml (layers, no cycles), one package per area, and the rules no linter knows."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

from importlinter import configuration
from importlinter.application.use_cases import lint_imports

import bot
import bot.cogs

BOT = Path(bot.__file__).parent
AREAS = {
    "admin",
    "challenges",
    "directory",
    "discussions",
    "meetings",
    "outcomes",
    "polls",
    "privacy",
}


def bot_modules() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def test_the_import_contracts_are_kept() -> None:
    """pyproject.toml's [tool.importlinter]: services and storage never import discord,
    cogs never import storage, the sandbox never imports bot, no cycles anywhere in bot."""
    configuration.configure()
    assert lint_imports(config_filename=str(BOT.parent / "pyproject.toml")) is True


def test_no_private_modules() -> None:
    """Names say what a module holds; none hides behind a leading underscore."""
    private = [
        str(path.relative_to(BOT.parent))
        for path in bot_modules()
        if path.name.startswith("_") and path.name != "__init__.py"
    ]
    assert private == []


def test_every_cog_area_is_a_package_that_only_registers_its_cogs() -> None:
    packages = {module.name for module in pkgutil.iter_modules(bot.cogs.__path__)}
    assert packages == AREAS | {"shared"}
    for area in sorted(AREAS):
        init = BOT / "cogs" / area / "__init__.py"
        tree = ast.parse(init.read_text())
        functions = [node for node in tree.body if isinstance(node, ast.AsyncFunctionDef)]
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
        assert [f.name for f in functions] == ["setup"], area
        assert classes == [], area
        assert callable(importlib.import_module(f"bot.cogs.{area}").setup)


def test_services_and_storage_use_the_same_area_names() -> None:
    services = {p.name for p in (BOT / "services").iterdir() if (p / "__init__.py").exists()}
    storage = {p.name for p in (BOT / "storage").iterdir() if (p / "__init__.py").exists()}
    assert {"common", "directory", "meetings", "discussions", "privacy"} <= services
    assert storage - {"migrations"} <= services


def calls(path: Path) -> list[str]:
    """Every ``name.attribute(...)`` and ``name(...)`` call in the module, as text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            found.append(ast.unparse(node.func))
    return found


def test_only_start_up_code_tunes_the_garbage_collector() -> None:
    tuning = [
        f"{path.relative_to(BOT.parent)}: {call}"
        for path in bot_modules()
        if path != BOT / "runtime.py"
        for call in calls(path)
        if call.startswith("gc.")
    ]
    assert tuning == []


def test_nothing_looks_a_cog_up_by_name() -> None:
    lookups = [
        f"{path.relative_to(BOT.parent)}: {call}"
        for path in bot_modules()
        for call in calls(path)
        if call.endswith("get_cog")
    ]
    assert lookups == []
