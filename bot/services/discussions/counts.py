"""Live discussion counts per initiative, kept in memory and in step with events.

The discussions service writes them; the directory reads them for its live counts. Both
receive the same object when Agora is wired (bot/wiring.py), so neither needs the other.
"""

from __future__ import annotations


class LiveDiscussionCounts:
    """Discussions (not deleted) per initiative, per guild."""

    def __init__(self) -> None:
        self._by_guild: dict[int, dict[int, int]] = {}

    def replace(self, counts: dict[tuple[int, int], int]) -> None:
        """Start again from ``{(guild_id, initiative_id): count}`` (as loaded at start)."""
        by_guild: dict[int, dict[int, int]] = {}
        for (guild_id, initiative_id), count in counts.items():
            by_guild.setdefault(guild_id, {})[initiative_id] = max(0, count)
        self._by_guild = by_guild

    def add(self, guild_id: int, initiative_id: int, delta: int) -> None:
        counts = self._by_guild.setdefault(guild_id, {})
        counts[initiative_id] = max(0, counts.get(initiative_id, 0) + delta)

    def forget_initiative(self, guild_id: int, initiative_id: int) -> None:
        self._by_guild.get(guild_id, {}).pop(initiative_id, None)

    def count_by_initiative(self, guild_id: int) -> dict[int, int]:
        """Live number of discussions (open or archived) per initiative; from memory."""
        return {
            initiative_id: count
            for initiative_id, count in self._by_guild.get(guild_id, {}).items()
            if count
        }

    def count_for_initiative(self, guild_id: int, initiative_id: int) -> int:
        return self._by_guild.get(guild_id, {}).get(initiative_id, 0)
