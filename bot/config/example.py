"""config.example.toml, rendered from the declarations in ``bot/config/__init__.py``.

python -m bot.config.example > config.example.toml
"""

from __future__ import annotations

import inspect
import json
import textwrap
from typing import Any

from bot.config import Config
from bot.config.schema import options, sections

HEADER = """\
Agora configuration. Copy to config.toml and edit; every key is optional and
shows its default here. Agora checks this file at start and names each wrong
key in one line. Run with:  python run_bot.py --config config.toml
(This file is rendered from bot/config/__init__.py: python -m bot.config.example)"""

WIDTH = 88


def render_example() -> str:
    lines = _comment(HEADER)
    for name, cls in sections(Config).items():
        lines += ["", f"[{name}]"]
        if cls.__doc__:
            lines += _comment(inspect.cleandoc(cls.__doc__))
        for key, declared in options(cls).items():
            lines += _comment(declared.doc)
            lines.append(f"{key} = {toml_value(declared.default)}")
    return "\n".join(lines) + "\n"


def toml_value(value: Any) -> str:
    """``value`` as TOML writes it (the kinds of value a default can be)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for a default of {value!r}")


def _comment(text: str) -> list[str]:
    """``text`` as comment lines: its own line breaks kept, long lines wrapped."""
    lines: list[str] = []
    for line in text.splitlines():
        lines += ["# " + part for part in textwrap.wrap(line, WIDTH - 2)] or ["#"]
    return lines


if __name__ == "__main__":
    print(render_example(), end="")
