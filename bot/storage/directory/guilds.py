"""Repository: per-guild settings, generic key/value settings and DM opt-outs."""

from __future__ import annotations

import json
from datetime import datetime

from bot.storage.database import Database
from bot.storage.directory.models import GuildSettings, db_time, parse_db_time
from bot.storage.fleet import EVERYTHING, ShardScope

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class GuildSettingsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int) -> GuildSettings:
        """The guild's overrides; all None when it never changed anything."""
        row = await self.db.fetch_one(
            "SELECT timezone, announcement_channel_id, organiser_role_id, reminder_offsets"
            " FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return GuildSettings(guild_id=guild_id)
        offsets = row["reminder_offsets"]
        return GuildSettings(
            guild_id=guild_id,
            timezone=row["timezone"],
            announcement_channel_id=row["announcement_channel_id"],
            organiser_role_id=row["organiser_role_id"],
            reminder_offsets=None if offsets is None else tuple(json.loads(offsets)),
        )

    async def save(self, settings: GuildSettings, now: datetime) -> GuildSettings:
        offsets = settings.reminder_offsets
        offsets_json = None if offsets is None else json.dumps(list(offsets))
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, timezone, announcement_channel_id,"
                " organiser_role_id, reminder_offsets, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone,"
                " announcement_channel_id = excluded.announcement_channel_id,"
                " organiser_role_id = excluded.organiser_role_id,"
                " reminder_offsets = excluded.reminder_offsets, updated_at = excluded.updated_at",
                (
                    settings.guild_id,
                    settings.timezone,
                    settings.announcement_channel_id,
                    settings.organiser_role_id,
                    offsets_json,
                    db_time(now),
                ),
            )
        return await self.get(settings.guild_id)

    async def clear_channel(self, guild_id: int, channel_id: int, now: datetime) -> bool:
        """The channel was deleted: drop it if it was the announcement channel."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE guild_settings SET announcement_channel_id = NULL, updated_at = ?"
                " WHERE guild_id = ? AND announcement_channel_id = ?",
                (db_time(now), guild_id, channel_id),
            )
            return cursor.rowcount > 0

    async def clear_role(self, guild_id: int, role_id: int, now: datetime) -> bool:
        """The role was deleted: drop it if it was the organiser role."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE guild_settings SET organiser_role_id = NULL, updated_at = ?"
                " WHERE guild_id = ? AND organiser_role_id = ?",
                (db_time(now), guild_id, role_id),
            )
            return cursor.rowcount > 0

    async def set_organiser_role(self, guild_id: int, role_id: int, now: datetime) -> None:
        """Record the guild's organiser role by id (other settings stay as they are)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, organiser_role_id, updated_at)"
                " VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " organiser_role_id = excluded.organiser_role_id,"
                " updated_at = excluded.updated_at",
                (guild_id, role_id, db_time(now)),
            )

    async def organiser_role_ids(self, scope: ShardScope = EVERYTHING) -> dict[int, int]:
        """The recorded organiser role of each guild of ``scope``: {guild_id: role_id}."""
        among, params = scope.sql_filter("guild_id")
        rows = await self.db.fetch_all(
            "SELECT guild_id, organiser_role_id FROM guild_settings"
            f" WHERE organiser_role_id IS NOT NULL{among}",
            params,
        )
        return {row["guild_id"]: row["organiser_role_id"] for row in rows}

    # --- generic values: anything without its own column ----------------

    async def get_value(self, guild_id: int, key: str) -> JsonValue:
        """The stored value, or None when unset."""
        row = await self.db.fetch_one(
            "SELECT value FROM guild_setting_values WHERE guild_id = ? AND key = ?",
            (guild_id, key),
        )
        return None if row is None else json.loads(row[0])

    async def set_value(self, guild_id: int, key: str, value: JsonValue, now: datetime) -> None:
        """Store ``value`` (JSON-serialisable); None deletes the key."""
        async with self.db.transaction() as conn:
            if value is None:
                await conn.execute(
                    "DELETE FROM guild_setting_values WHERE guild_id = ? AND key = ?",
                    (guild_id, key),
                )
                return
            await conn.execute(
                "INSERT INTO guild_setting_values (guild_id, key, value, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, key) DO UPDATE"
                " SET value = excluded.value, updated_at = excluded.updated_at",
                (guild_id, key, json.dumps(value), db_time(now)),
            )

    async def values(self, guild_id: int) -> dict[str, JsonValue]:
        rows = await self.db.fetch_all(
            "SELECT key, value FROM guild_setting_values WHERE guild_id = ? ORDER BY key",
            (guild_id,),
        )
        return {row[0]: json.loads(row[1]) for row in rows}

    # --- DM opt-outs -----------------------------------------------------

    async def set_dm_opt_out(
        self, guild_id: int, user_id: int, kind: str, opted_out: bool, now: datetime
    ) -> None:
        async with self.db.transaction() as conn:
            if opted_out:
                await conn.execute(
                    "INSERT INTO dm_opt_outs (guild_id, user_id, kind, created_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (guild_id, user_id, kind, db_time(now)),
                )
            else:
                await conn.execute(
                    "DELETE FROM dm_opt_outs WHERE guild_id = ? AND user_id = ? AND kind = ?",
                    (guild_id, user_id, kind),
                )

    async def dm_opt_outs(self, guild_id: int, user_id: int) -> dict[str, datetime]:
        """{kind: since} for the user."""
        rows = await self.db.fetch_all(
            "SELECT kind, created_at FROM dm_opt_outs WHERE guild_id = ? AND user_id = ?"
            " ORDER BY kind",
            (guild_id, user_id),
        )
        return {row[0]: parse_db_time(row[1]) for row in rows}

    async def opted_out_users(self, guild_id: int, kind: str) -> set[int]:
        """Users who opted out of ``kind`` or of all DMs ('all')."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT user_id FROM dm_opt_outs WHERE guild_id = ? AND kind IN (?, 'all')",
            (guild_id, kind),
        )
        return {int(row[0]) for row in rows}

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM dm_opt_outs WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            return cursor.rowcount
