"""Repository: members who asked to be forgotten, recorded without their id.

``/privacy forget`` erases every row naming a person, but Discord still knows them:
they may hold a role Agora could not take, still be "Interested" in a meeting's event,
still own threads. Re-reading Discord after a restart or a reconnect would record them
again. So forgetting leaves a tombstone per area, keyed by
``HMAC-SHA256(secret, "<guild_id>:<user_id>")``, and every catch-up asks here first.

Why a keyed hash, and what it does and does not protect:

* A Discord id is a snowflake: a millisecond timestamp and a few counters. A plain
  hash of one can be reversed by hashing every id of the guild's member list (or by
  brute force over the plausible timestamps), so a plain hash would be the id again.
  With a 256-bit random secret nobody can compute or reverse a tag without the secret.
* The secret lives in this same database (``forget_secret``), because Agora itself must
  recognise the person at the next catch-up. Whoever holds the whole database file *and*
  a candidate id can therefore confirm "this id was forgotten here" -- no more: the tag
  links to no other row (RSVPs, memberships and threads keep no tag), so nothing about
  what the person did can be recovered. That one fact is the least a suppression list
  can hold; it is what honouring the request requires.
* The guild id is part of the message, so the same person's tags in two guilds differ
  and cannot be matched against each other.
* The time kept is the end of the UTC day of forgetting, not the instant: the anonymised
  rows a forget leaves share their exact time, and an exact time here would point at them.
* Nothing here contains the id in any form: a scan of the file for it finds nothing.

The tags are few (one per forgotten person and area), so they are kept in memory after
the first read; a catch-up over 20,000 members hashes nothing when nobody was forgotten.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Literal

from bot.storage.database import Database

ForgetArea = Literal["memberships", "meetings", "discussions"]
FORGET_AREAS: tuple[ForgetArea, ...] = ("memberships", "meetings", "discussions")
_DAY = 86_400


class ForgottenRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._secret: bytes | None = None
        # (guild_id, area) -> {tag: forgotten_at}; None until first read.
        self._tags: dict[tuple[int, str], dict[bytes, int]] | None = None

    async def _key(self) -> bytes:
        if self._secret is None:
            async with self.db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO forget_secret (id, secret) VALUES (1, ?)"
                    " ON CONFLICT (id) DO NOTHING",
                    (secrets.token_bytes(32),),
                )
                async with conn.execute("SELECT secret FROM forget_secret WHERE id = 1") as cur:
                    row = await cur.fetchone()
            assert row is not None  # just written
            self._secret = bytes(row[0])
        return self._secret

    async def _all(self) -> dict[tuple[int, str], dict[bytes, int]]:
        if self._tags is None:
            tags: dict[tuple[int, str], dict[bytes, int]] = {}
            for row in await self.db.fetch_all(
                "SELECT guild_id, area, user_hash, forgotten_at FROM forgotten_members"
            ):
                tags.setdefault((row[0], row[1]), {})[bytes(row[2])] = row[3]
            self._tags = tags
        return self._tags

    async def tag(self, guild_id: int, user_id: int) -> bytes:
        """The keyed hash standing for ``user_id`` in ``guild_id``."""
        message = f"{guild_id}:{user_id}".encode()
        return hmac.new(await self._key(), message, hashlib.sha256).digest()

    async def record(self, guild_id: int, user_id: int, at: int) -> None:
        """The person asked to be forgotten at ``at`` (Unix seconds): every area.

        Kept as the end of that UTC day (see the module's docstring).
        """
        at = at - at % _DAY + _DAY
        tag = await self.tag(guild_id, user_id)
        tags = await self._all()
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO forgotten_members (guild_id, user_hash, area, forgotten_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_hash, area)"
                " DO UPDATE SET forgotten_at = excluded.forgotten_at",
                [(guild_id, tag, area, at) for area in FORGET_AREAS],
            )
        for area in FORGET_AREAS:
            tags.setdefault((guild_id, area), {})[tag] = at

    async def forgotten_at(self, guild_id: int, user_id: int, area: ForgetArea) -> int | None:
        """When (end of the UTC day) the person was forgotten, if ``area``'s tombstone stands."""
        found = await self.forgotten_among(guild_id, (user_id,), area)
        return found.get(user_id)

    async def forgotten_among(
        self, guild_id: int, user_ids: Iterable[int], area: ForgetArea
    ) -> Mapping[int, int]:
        """Those of ``user_ids`` with a standing tombstone in ``area``, with its time."""
        tags = (await self._all()).get((guild_id, area))
        if not tags:
            return {}
        found: dict[int, int] = {}
        for user_id in user_ids:
            at = tags.get(await self.tag(guild_id, user_id))
            if at is not None:
                found[user_id] = at
        return found

    async def lift(self, guild_id: int, user_id: int, area: ForgetArea) -> bool:
        """The person acted again, live, in ``area``: catch-ups follow them there again."""
        tags = (await self._all()).get((guild_id, area))
        if not tags:
            return False
        tag = await self.tag(guild_id, user_id)
        if tag not in tags:
            return False
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM forgotten_members WHERE guild_id = ? AND user_hash = ? AND area = ?",
                (guild_id, tag, area),
            )
        tags.pop(tag, None)
        return True
