"""Fitting text into Discord's length limits without cutting a line in half."""

from __future__ import annotations

from collections.abc import Sequence

# Discord's limit on a bot's message content (4,000 is for people with Nitro).
MESSAGE_LIMIT = 2000


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with … when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…" if limit > 0 else ""


def fit_lines(lines: Sequence[str], limit: int) -> str:
    """As many whole lines as fit in ``limit``, then "… and N more"."""
    full = "\n".join(lines)
    if len(full) <= limit:
        return full
    kept: list[str] = []
    used = 0
    for position, line in enumerate(lines):
        more = f"… and {len(lines) - position} more"
        cost = len(line) + (1 if kept else 0)
        if used + cost + 1 + len(more) > limit:
            if kept:
                return "\n".join([*kept, more])
            # Not even the first line fits whole: clip it.
            rest = len(lines) - 1
            suffix = f"\n… and {rest} more" if rest else ""
            return clip(line, max(1, limit - len(suffix))) + suffix
        kept.append(line)
        used += cost
    return "\n".join(kept)


def first_that_fits(versions: Sequence[str], limit: int = MESSAGE_LIMIT) -> str:
    """The first of ``versions`` (fullest first) within ``limit``; else the last, clipped."""
    for version in versions:
        if len(version) <= limit:
            return version
    return clip(versions[-1], limit) if versions else ""
