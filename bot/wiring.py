"""Where Agora is put together: every service, the scheduler and the reminder dispatcher,
built once from the store and the config by ``build_services`` and handed to the bot.

Nothing else constructs a service; the bot, the cogs, the command-line tools and the tests
receive what is built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Config
from bot.services.challenges.service import ChallengeService
from bot.services.common.clock import Clock, utc_now
from bot.services.common.fleet_runs import FleetRuns
from bot.services.common.heap import Heap, UntunedHeap
from bot.services.common.rate_limit import LIMIT_KINDS, LimitKind, Rate, RateLimiter
from bot.services.directory.cache import DirectoryCache
from bot.services.directory.importer import DirectoryImporter
from bot.services.directory.memberships import MembershipService
from bot.services.directory.organisers import OrganiserRoles
from bot.services.directory.pitches import PitchService
from bot.services.directory.resources import ResourceService
from bot.services.directory.service import DirectoryService
from bot.services.discussions.activity import ActivityService
from bot.services.discussions.counts import LiveDiscussionCounts
from bot.services.discussions.digest import DigestService, MeetingsFromRepository
from bot.services.discussions.nudges import NudgeService
from bot.services.discussions.service import DiscussionService
from bot.services.meetings.drafts import MeetingDraftService
from bot.services.meetings.programme import ProgrammeService
from bot.services.meetings.reminder_scheduler import ReminderScheduler
from bot.services.meetings.reminders import ReminderService
from bot.services.meetings.rsvp import RsvpService
from bot.services.meetings.service import MeetingService
from bot.services.outcomes.service import OutcomeService
from bot.services.outcomes.timers import OutcomeDispatcher, OutcomeTimerService
from bot.services.polls.deadlines import PollDeadlines
from bot.services.polls.service import PollService
from bot.services.privacy.service import PrivacyService
from bot.services.web.feeds import CalendarFeeds
from bot.services.web.publication import WebPublication, WebSettings
from bot.services.web.site import PublicSite
from bot.storage.fleet import EVERYTHING, ShardScope
from bot.storage.store import Store


@dataclass
class Services:
    store: Store
    config: Config
    # The shards this process runs (``[discord] shard_count``/``shard_ids``): the guilds
    # whose per-guild work (caches, catch-ups, timers) is this process's.
    scope: ShardScope
    heap: Heap
    scheduler: AsyncIOScheduler
    cache: DirectoryCache
    directory: DirectoryService
    importer: DirectoryImporter
    memberships: MembershipService
    organisers: OrganiserRoles
    resources: ResourceService
    pitches: PitchService
    challenges: ChallengeService
    activity: ActivityService
    discussions: DiscussionService
    digest: DigestService
    nudges: NudgeService
    privacy: PrivacyService
    reminders: ReminderService
    reminder_dispatcher: ReminderScheduler
    meetings: MeetingService
    meeting_drafts: MeetingDraftService
    programme: ProgrammeService
    rsvp: RsvpService
    polls: PollService
    poll_deadlines: PollDeadlines
    limits: RateLimiter
    # Outcomes of meetings and their timers (threads, summaries, action reminders).
    outcomes: OutcomeService
    outcome_timers: OutcomeTimerService
    outcome_dispatcher: OutcomeDispatcher
    # The public web pages (bot/web): which guilds are published, what the pages show.
    web: WebPublication
    site: PublicSite

    async def start(self) -> None:
        """Warm the in-memory caches before the first interaction arrives: for the guilds
        of this process's shards (``scope``) only."""
        await self.cache.warm(self.scope)
        await self.organisers.start(self.scope)
        await self.activity.start(self.scope)
        await self.discussions.start(self.scope)
        await self.web.start()

    async def close(self) -> None:
        """Flush buffered message counts before the database closes."""
        await self.activity.close()


def build_services(
    *,
    store: Store,
    config: Config,
    clock: Clock = utc_now,
    heap: Heap | None = None,
    scheduler: AsyncIOScheduler | None = None,
    scope: ShardScope = EVERYTHING,
) -> Services:
    """Every service, each built once, each given what it uses. ``scope``: the shards this
    process runs (``shard_scope(config)``); all of them by default."""
    heap = heap if heap is not None else UntunedHeap()
    scheduler = scheduler if scheduler is not None else AsyncIOScheduler(timezone=UTC)
    cache = DirectoryCache(store, heap)
    # The discussions area keeps the live counts; the directory shows them.
    discussion_counts = LiveDiscussionCounts()
    directory = DirectoryService(store, cache, discussions=discussion_counts, clock=clock)
    memberships = MembershipService(store, cache, clock=clock)
    activity = ActivityService(
        store.activity, store.discussions, config.activity.flush_interval_seconds, clock=clock
    )
    discussions = DiscussionService(
        store.discussions, activity, directory, clock=clock, counts=discussion_counts
    )
    reminders = ReminderService(store, clock, config.meetings.reminder_offsets, scope=scope)
    # A meeting's outcome threads and summary follow its times (bot/services/outcomes).
    outcome_timers = OutcomeTimerService(store, clock)
    reminders.subscribe_meetings(outcome_timers.sync_meeting)
    outcomes = OutcomeService(store, directory, outcome_timers, clock=clock)
    resources = ResourceService(store, cache, clock=clock, cap=config.limits.items_per_initiative)
    meetings = MeetingService(
        store,
        clock,
        config.community.timezone,
        reminders,
        config.meetings.allow_past_with_confirmation,
    )
    rsvp = RsvpService(store, clock)
    web = WebPublication(
        store,
        WebSettings(config.web.enabled, config.web.base_url, config.web.guild_id),
        clock=clock,
    )
    polls = PollService(store, clock, config.community.timezone)
    pitches = PitchService(store, cache, clock=clock)
    # Digests and nudges: each guild's run claimed once across the fleet.
    runs = FleetRuns(store, scope.worker_id, clock)
    return Services(
        store=store,
        config=config,
        scope=scope,
        heap=heap,
        scheduler=scheduler,
        cache=cache,
        directory=directory,
        importer=DirectoryImporter(store, cache, clock=clock),
        memberships=memberships,
        organisers=OrganiserRoles(store, config.community.organiser_role, clock=clock),
        resources=resources,
        pitches=pitches,
        challenges=ChallengeService(store, cache, clock=clock),
        activity=activity,
        discussions=discussions,
        digest=DigestService(
            store, MeetingsFromRepository(store), clock=clock, overdue_actions=outcomes, runs=runs
        ),
        nudges=NudgeService(store, config.nudges.quiet_days, clock=clock, runs=runs),
        privacy=PrivacyService(store, memberships, activity),
        reminders=reminders,
        # Sends through the meetings cog, which starts it with its sender and stops it.
        reminder_dispatcher=ReminderScheduler(store, reminders, scheduler=scheduler, scope=scope),
        meetings=meetings,
        meeting_drafts=MeetingDraftService(store, clock),
        programme=ProgrammeService(store, clock, reminders),
        rsvp=rsvp,
        polls=polls,
        # Closes polls at their deadline; the polls cog starts it with its announcer.
        poll_deadlines=PollDeadlines(polls, scheduler, scope=scope),
        limits=rate_limiter(config),
        outcomes=outcomes,
        outcome_timers=outcome_timers,
        # Sends through the outcomes cog, which starts it with its sender and stops it.
        outcome_dispatcher=OutcomeDispatcher(
            store, outcome_timers, scheduler=scheduler, scope=scope
        ),
        web=web,
        site=PublicSite(
            web,
            directory,
            resources,
            meetings,
            rsvp,
            discussions,
            CalendarFeeds(store, clock=clock),
            pitches,
        ),
    )


def shard_scope(config: Config) -> ShardScope:
    """The shards ``[discord]`` says this process runs: all (one process) when unsharded
    or when ``shard_ids`` is empty."""
    discord = config.discord
    if not discord.sharded:
        return EVERYTHING
    return ShardScope(discord.shard_count, discord.shard_ids or None)


def rate_limiter(config: Config) -> RateLimiter:
    """The per-member limits of ``[limits]`` (see config.example.toml)."""
    rates: dict[LimitKind, Rate | None] = {}
    for kind in LIMIT_KINDS:
        setting = getattr(config.limits, kind)
        rates[kind] = None if setting is None else Rate(count=setting[0], per=setting[1])
    return RateLimiter(rates)
