"""Memberships: join, leave, leads, member lists, Discord role sync, and user privacy.

History is kept: leaving ends a membership (with a date and a reason) instead
of deleting it. Every write goes to the database first, then to the in-memory
directory, so live member counts and permission checks need no SQL.

Leads are appointed and removed by organisers, admins and the initiative's
leads (``set_lead``); each change is recorded with who made it.

Privacy (``describe_user`` / ``forget_user``) covers everything this area
stores about a person: memberships and their history (lead changes included,
as the one changed or the one who made it), the documents and projects they
added, and their DM opt-outs. "Anonymous counts" means: after
``forget_user`` no row here holds their user id, but the membership history
rows stay without a user (so "12 people joined Humble Lamppost in 2025" stays
true) and the documents/projects they shared stay without an author.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.errors import Conflict, InvalidInput, NotFound
from bot.services.common.clock import Clock, utc_now
from bot.services.common.permissions import Actor, require_manage_initiative
from bot.services.directory.cache import DirectoryCache
from bot.services.directory.service import Page, check_page, clamp_page, resolve_initiative
from bot.storage.directory.memberships import RoleChange
from bot.storage.directory.models import Initiative, LeaveReason, Membership, Resource
from bot.storage.store import Store


@dataclass(frozen=True)
class MembershipChange:
    """A membership that started or ended, with its initiative (to grant/remove its role)."""

    initiative: Initiative
    membership: Membership


@dataclass(frozen=True)
class LeadChange(MembershipChange):
    """A lead appointed or removed; ``joined``: the new lead was not a member before,
    so they are one now and get the initiative's role as on /initiative join."""

    joined: bool = False


@dataclass(frozen=True)
class MyInitiative:
    initiative: Initiative
    role: str  # 'member' | 'lead'
    joined_at: datetime


@dataclass(frozen=True)
class RoleSync:
    started: tuple[MembershipChange, ...] = ()
    ended: tuple[MembershipChange, ...] = ()


@dataclass(frozen=True)
class MembershipRecord:
    """One stint in the user's history, for /privacy describe."""

    initiative_name: str
    role: str
    joined_at: datetime
    join_reason: str
    left_at: datetime | None
    left_reason: str | None


@dataclass(frozen=True)
class LeadChangeRecord:
    """A lead change naming the user, for /privacy describe: their own role, or one
    they changed (whose is not shown: that names someone else)."""

    initiative_name: str
    reason: str  # 'lead_added' | 'lead_removed'
    changed_at: datetime
    own: bool  # the user's own role changed
    by_user: bool  # the user made the change

    def line(self) -> str:
        added = self.reason == "lead_added"
        when = f"{self.changed_at:%Y-%m-%d}"
        if not self.own:
            what = "made another member a lead" if added else "ended another member's lead role"
            return f"- {self.initiative_name}: you {what} on {when}"
        what = "made a lead" if added else "no longer a lead"
        by = "by you" if self.by_user else "by another member"
        return f"- {self.initiative_name}: {what} on {when} ({by})"


@dataclass(frozen=True)
class UserDescription:
    user_id: int
    memberships: tuple[MembershipRecord, ...]
    resources: tuple[Resource, ...]
    dm_opt_outs: tuple[str, ...]
    lead_changes: tuple[LeadChangeRecord, ...] = ()

    @property
    def holds_any(self) -> bool:
        return bool(self.memberships or self.resources or self.dm_opt_outs or self.lead_changes)

    def lines(self) -> list[str]:
        """Plain-text lines a cog can show as is."""
        lines = [f"Memberships ({len(self.memberships)}):"]
        for record in self.memberships:
            until = (
                "now"
                if record.left_at is None
                else f"{record.left_at:%Y-%m-%d} ({record.left_reason})"
            )
            lines.append(
                f"- {record.initiative_name}: {record.role}, from {record.joined_at:%Y-%m-%d}"
                f" ({record.join_reason}) until {until}"
            )
        if self.lead_changes:
            lines.append(f"Lead changes ({len(self.lead_changes)}):")
            lines.extend(change.line() for change in self.lead_changes)
        lines.append(f"Documents and projects you added ({len(self.resources)}):")
        lines.extend(f"- {r.kind} #{r.number}: {r.title} <{r.url}>" for r in self.resources)
        opt_outs = ", ".join(self.dm_opt_outs) or "none"
        lines.append(f"Direct messages you opted out of: {opt_outs}")
        return lines


@dataclass(frozen=True)
class ForgetReport:
    memberships_anonymised: int
    resources_anonymised: int
    dm_opt_outs_deleted: int
    # Initiative roles the person still holds in Discord: the cog removes them,
    # or the next role sync would make them a member again.
    role_ids_to_remove: tuple[int, ...]


class MembershipService:
    def __init__(self, store: Store, cache: DirectoryCache, clock: Clock = utc_now) -> None:
        self._store = store
        self._cache = cache
        self._clock = clock

    async def actor(
        self, guild_id: int, user_id: int, *, is_admin: bool = False, is_organiser: bool = False
    ) -> Actor:
        """The permission view of a user: Discord flags from the cog, initiatives from memory."""
        directory = await self._cache.get(guild_id)
        return Actor(
            user_id=user_id,
            is_admin=is_admin,
            is_organiser=is_organiser,
            lead_of=directory.lead_of(user_id),
            member_of=directory.member_of(user_id),
        )

    async def join(self, guild_id: int, user_id: int, initiative_text: str) -> MembershipChange:
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        if directory.is_member(initiative.id, user_id):
            raise Conflict(f"You are already a member of {initiative.name}.")
        membership = await self._store.memberships.start(
            guild_id, initiative.id, user_id, "member", "joined", self._clock()
        )
        directory.add_membership(membership)
        await self._recorded_live(guild_id, user_id)
        return MembershipChange(initiative, membership)

    async def leave(self, guild_id: int, user_id: int, initiative_text: str) -> MembershipChange:
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        if not directory.is_member(initiative.id, user_id):
            raise NotFound(
                f"You are not a member of {initiative.name}, so there is nothing to leave."
            )
        return await self._end_one(guild_id, initiative, user_id, "left")

    async def remove_member(
        self, guild_id: int, actor: Actor, initiative_text: str, user_id: int
    ) -> MembershipChange:
        """A lead or organiser takes someone off the initiative (reason 'removed')."""
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        require_manage_initiative(actor, initiative.id, initiative.name, "remove members")
        if not directory.is_member(initiative.id, user_id):
            raise NotFound(f"<@{user_id}> is not a member of {initiative.name}.")
        return await self._end_one(guild_id, initiative, user_id, "removed")

    async def set_lead(
        self,
        guild_id: int,
        actor: Actor,
        initiative_text: str,
        user_id: int,
        is_lead: bool = True,
        *,
        is_bot: bool = False,
    ) -> LeadChange:
        """Make someone a lead (joining them if needed) or back a plain member.

        Organisers, admins and the initiative's leads may; leads are peers, so a
        lead may remove another lead or themselves (even the last one). The change
        is recorded with ``actor`` as the one who made it.
        """
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        require_manage_initiative(actor, initiative.id, initiative.name, "choose its leads")
        name = initiative.name
        if is_lead and is_bot:
            raise InvalidInput(
                f"<@{user_id}> is a bot, and only people can lead {name}. "
                "Choose a member of the server."
            )
        now = self._clock()
        is_member = directory.is_member(initiative.id, user_id)
        if (is_member and user_id in directory.leads(initiative.id)) == is_lead:
            if is_lead:
                raise Conflict(f"<@{user_id}> is already a lead of {name}: nothing changed.")
            raise Conflict(
                f"<@{user_id}> is not a lead of {name}, so there is nothing to remove. "
                f"/initiative members {name} shows its leads."
            )
        joined = not is_member
        if joined:
            membership = await self._store.memberships.appoint(
                guild_id, initiative.id, user_id, actor.user_id, now
            )
        else:
            updated = await self._store.memberships.change_lead(
                guild_id, initiative.id, user_id, is_lead, actor.user_id, now
            )
            if updated is None:  # left between the check and the write
                raise NotFound(f"<@{user_id}> is not a member of {name}.")
            membership = updated
        directory.add_membership(membership)
        if joined:
            await self._recorded_live(guild_id, user_id)
        return LeadChange(initiative, membership, joined)

    async def members(
        self, guild_id: int, initiative_text: str, page: int = 1, page_size: int = 20
    ) -> Page[Membership]:
        """Current members, leads first, then by join date."""
        check_page(page, page_size)
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        page = clamp_page(page, page_size, directory.member_count(initiative.id))
        items, total = await self._store.memberships.list_current(
            guild_id, initiative.id, page_size, (page - 1) * page_size
        )
        return Page(items=tuple(items), total=total, page=page, page_size=page_size)

    async def my_initiatives(self, guild_id: int, user_id: int) -> list[MyInitiative]:
        """The user's current initiatives, by name."""
        directory = await self._cache.get(guild_id)
        history = await self._store.memberships.history_for_user(guild_id, user_id)
        mine = [
            MyInitiative(directory.initiatives[m.initiative_id], m.role, m.joined_at)
            for m in history
            if m.is_current and m.initiative_id in directory.initiatives
        ]
        return sorted(mine, key=lambda item: item.initiative.name.casefold())

    async def history(self, guild_id: int, user_id: int) -> list[Membership]:
        return await self._store.memberships.history_for_user(guild_id, user_id)

    # --- Discord events ----------------------------------------------------

    async def sync_member_roles(
        self,
        guild_id: int,
        user_id: int,
        role_ids: Iterable[int],
        *,
        before: Iterable[int] | None = None,
        unsafe: Collection[int] = frozenset(),
    ) -> RoleSync:
        """Follow initiative roles given or taken by hand in Discord.

        Pass ``before`` (the roles before the change, as on_member_update has
        them) to act only on what changed: that cannot undo a /join whose role
        grant is still in flight. Without it the memberships are made to match
        the mapped roles exactly.

        ``unsafe``: role ids Agora must not hand out (``role_safety``); a mapped
        one is not an initiative role here, so holding it neither starts nor ends
        a membership.
        """
        directory = await self._cache.get(guild_id)
        mapped = directory.role_ids()
        if unsafe:
            mapped = {r: i for r, i in mapped.items() if r not in unsafe}
        after_ids = {mapped[r] for r in role_ids if r in mapped}
        current = directory.member_of(user_id)
        if before is None:
            roles_of = {
                i
                for i in current
                if (role_id := directory.initiatives[i].role_id) is not None
                and role_id not in unsafe
            }
            to_start, to_end = after_ids - current, roles_of - after_ids
        else:
            before_ids = {mapped[r] for r in before if r in mapped}
            to_start = (after_ids - before_ids) - current
            to_end = (before_ids - after_ids) & current
        if not to_start and not to_end:
            return RoleSync()
        started, ended = await self._store.memberships.sync(
            guild_id, user_id, sorted(to_start), sorted(to_end), self._clock()
        )
        for membership in started:
            directory.add_membership(membership)
        for membership in ended:
            directory.remove_membership(membership.initiative_id, user_id)
        if started:
            await self._recorded_live(guild_id, user_id)
        return RoleSync(
            started=tuple(self._change(directory.initiatives, m) for m in started),
            ended=tuple(self._change(directory.initiatives, m) for m in ended),
        )

    async def reconcile(
        self,
        guild_id: int,
        roles_by_member: Mapping[int, Iterable[int]],
        *,
        unsafe: Collection[int] = frozenset(),
    ) -> RoleSync:
        """Catch up with changes made while Agora was away.

        ``roles_by_member`` is every (human) member of the guild with their role
        ids: memberships are made to match the initiative roles each one holds,
        and people no longer in the guild have theirs ended (``left_server``).
        """
        started: list[MembershipChange] = []
        ended: list[MembershipChange] = []
        # Members who asked to be forgotten are not recorded again from their roles;
        # a live join or role change lifts that (``_recorded_live``).
        forgotten = await self._store.forgotten.forgotten_among(
            guild_id, roles_by_member.keys(), "memberships"
        )
        for user_id, role_ids in roles_by_member.items():
            if user_id in forgotten:
                continue
            sync = await self.sync_member_roles(guild_id, user_id, role_ids, unsafe=unsafe)
            started.extend(sync.started)
            ended.extend(sync.ended)
        directory = await self._cache.get(guild_id)
        for user_id in directory.users_with_memberships() - roles_by_member.keys():
            ended.extend(await self.member_left_server(guild_id, user_id))
        return RoleSync(started=tuple(started), ended=tuple(ended))

    async def member_left_server(self, guild_id: int, user_id: int) -> list[MembershipChange]:
        directory = await self._cache.get(guild_id)
        if not directory.member_of(user_id):
            return []
        ended = await self._store.memberships.end(
            guild_id, user_id, None, "left_server", self._clock()
        )
        for membership in ended:
            directory.remove_membership(membership.initiative_id, user_id)
        return [self._change(directory.initiatives, m) for m in ended]

    # --- privacy -----------------------------------------------------------

    async def describe_user(self, guild_id: int, user_id: int) -> UserDescription:
        directory = await self._cache.get(guild_id)
        history = await self._store.memberships.history_for_user(guild_id, user_id)
        records = tuple(
            MembershipRecord(
                initiative_name=_name(directory.initiatives, m.initiative_id),
                role=m.role,
                joined_at=m.joined_at,
                join_reason=m.join_reason,
                left_at=m.left_at,
                left_reason=m.left_reason,
            )
            for m in history
        )
        resources = await self._store.resources.added_by(guild_id, user_id)
        opt_outs = await self._store.guilds.dm_opt_outs(guild_id, user_id)
        changes = await self._store.memberships.role_changes_for_user(guild_id, user_id)
        return UserDescription(
            user_id,
            records,
            tuple(resources),
            tuple(sorted(opt_outs)),
            tuple(_lead_change_record(directory.initiatives, c, user_id) for c in changes),
        )

    async def forget_user(self, guild_id: int, user_id: int) -> ForgetReport:
        directory = await self._cache.get(guild_id)
        roles = tuple(
            role_id
            for i in sorted(directory.member_of(user_id))
            if (role_id := directory.initiatives[i].role_id) is not None
        )
        memberships = await self._store.memberships.forget_user(guild_id, user_id, self._clock())
        resources = await self._store.resources.forget_author(guild_id, user_id)
        opt_outs = await self._store.guilds.forget_user(guild_id, user_id)
        for initiative_id in directory.member_of(user_id):
            directory.remove_membership(initiative_id, user_id)
        return ForgetReport(memberships, resources, opt_outs, roles)

    # --- helpers -----------------------------------------------------------

    async def _recorded_live(self, guild_id: int, user_id: int) -> None:
        """A membership started by a live action: if the person had asked to be
        forgotten, the role catch-up follows their roles again from now on."""
        await self._store.forgotten.lift(guild_id, user_id, "memberships")

    async def _end_one(
        self, guild_id: int, initiative: Initiative, user_id: int, reason: LeaveReason
    ) -> MembershipChange:
        directory = await self._cache.get(guild_id)
        ended = await self._store.memberships.end(
            guild_id, user_id, [initiative.id], reason, self._clock()
        )
        directory.remove_membership(initiative.id, user_id)
        if not ended:
            raise NotFound(f"<@{user_id}> is not a member of {initiative.name}.")
        return MembershipChange(initiative, ended[0])

    @staticmethod
    def _change(initiatives: dict[int, Initiative], membership: Membership) -> MembershipChange:
        return MembershipChange(initiatives[membership.initiative_id], membership)


def _lead_change_record(
    initiatives: dict[int, Initiative], change: RoleChange, user_id: int
) -> LeadChangeRecord:
    return LeadChangeRecord(
        initiative_name=_name(initiatives, change.initiative_id),
        reason=change.reason,
        changed_at=change.changed_at,
        own=change.user_id == user_id,
        by_user=change.actor_id == user_id,
    )


def _name(initiatives: dict[int, Initiative], initiative_id: int) -> str:
    initiative = initiatives.get(initiative_id)
    return f"(deleted initiative #{initiative_id})" if initiative is None else initiative.name
