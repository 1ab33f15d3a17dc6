"""Which guilds this process serves, and as whom it claims work shared with other processes.

Discord assigns a guild to shard ``(guild_id >> 22) % shard_count``. A process runs some
of the shards (``[discord] shard_ids``); the rows it dispatches (reminders, outcome
timers, poll deadlines) and the guilds it warms caches for are those of its shards. Work
that must happen once across the fleet is claimed in the database under ``worker_id``
with a lease (see ``docs/scaling.md``); a process restarted with the same shards takes
back its own claims at once instead of waiting for their lease.
"""

from __future__ import annotations

from dataclasses import dataclass

SHARD_SHIFT = 22


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord gives ``guild_id`` among ``shard_count`` shards."""
    return (guild_id >> SHARD_SHIFT) % shard_count


@dataclass(frozen=True)
class ShardScope:
    """The shards one process runs. ``shard_ids`` None: all of them (one process)."""

    shard_count: int = 1
    shard_ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.shard_count < 1:
            raise ValueError("shard_count must be at least 1")
        if self.shard_ids is not None:
            if not self.shard_ids:
                raise ValueError("shard_ids must name at least one shard")
            bad = [shard for shard in self.shard_ids if not 0 <= shard < self.shard_count]
            if bad:
                raise ValueError(f"shard ids {bad} are outside 0..{self.shard_count - 1}")

    @property
    def everything(self) -> bool:
        """Whether this process serves every guild (no filter needed)."""
        return self.shard_ids is None or len(set(self.shard_ids)) == self.shard_count

    def owns(self, guild_id: int) -> bool:
        if self.everything:
            return True
        assert self.shard_ids is not None
        return shard_of(guild_id, self.shard_count) in self.shard_ids

    def runs_shard(self, shard_id: int) -> bool:
        """Whether this process runs ``shard_id`` (one serving everything runs them all)."""
        return self.everything or shard_id in (self.shard_ids or ())

    @property
    def worker_id(self) -> str:
        """Who holds this process's claims: the same after a restart with the same shards."""
        if self.everything:
            return "all"
        assert self.shard_ids is not None
        shards = ",".join(str(shard) for shard in sorted(set(self.shard_ids)))
        return f"shards {shards} of {self.shard_count}"

    def sql_filter(self, column: str = "guild_id") -> tuple[str, list[object]]:
        """``AND ...`` restricting ``column`` to this scope's guilds, with its parameters
        (empty when it serves everything). The same SQL on SQLite and PostgreSQL."""
        if self.everything:
            return "", []
        assert self.shard_ids is not None
        shards = sorted(set(self.shard_ids))
        marks = ",".join("?" * len(shards))
        return (
            f" AND (({column} >> {SHARD_SHIFT}) % ?) IN ({marks})",
            [self.shard_count, *shards],
        )


EVERYTHING = ShardScope()
