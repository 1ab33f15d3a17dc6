"""The command line of a benchmark as its docs section shows it."""

from __future__ import annotations


def shown_command(script: str, argv: list[str], hidden: tuple[str, ...]) -> str:
    """``python <script> <argv>`` without the options in ``hidden`` (where output or logs
    went: ``--keep DIR`` or ``--keep=DIR``) nor ``--no-docs``."""
    shown: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in hidden:
            skip = True
        elif not arg.startswith(tuple(f"{option}=" for option in hidden)) and arg != "--no-docs":
            shown.append(arg)
    return " ".join([f"python {script}", *shown])
