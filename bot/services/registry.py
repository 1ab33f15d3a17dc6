"""Every domain service, built once from the store and config and handed to the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.services.common.clock import Clock, utc_now
from bot.services.common.rate_limit import LIMIT_KINDS, LimitKind, Rate, RateLimiter
from bot.services.directory.cache import DirectoryCache
from bot.services.directory.importer import DirectoryImporter
from bot.services.directory.memberships import MembershipService
from bot.services.directory.resources import ResourceService
from bot.services.directory.service import DirectoryService
from bot.services.discussions.activity import ActivityService
from bot.services.discussions.digest import DigestService, MeetingsFromRepository
from bot.services.discussions.nudges import NudgeService
from bot.services.discussions.service import DiscussionService
from bot.services.meetings.drafts import MeetingDraftService
from bot.services.meetings.programme import ProgrammeService
from bot.services.meetings.reminders import ReminderService
from bot.services.meetings.rsvp import RsvpService
from bot.services.meetings.service import MeetingService
from bot.services.privacy.service import PrivacyService
from bot.storage.store import Store


@dataclass
class Services:
    store: Store
    config: Config
    cache: DirectoryCache
    directory: DirectoryService
    importer: DirectoryImporter
    memberships: MembershipService
    resources: ResourceService
    activity: ActivityService
    discussions: DiscussionService
    digest: DigestService
    nudges: NudgeService
    privacy: PrivacyService
    reminders: ReminderService
    meetings: MeetingService
    meeting_drafts: MeetingDraftService
    programme: ProgrammeService
    rsvp: RsvpService
    limits: RateLimiter

    @classmethod
    def build(cls, *, store: Store, config: Config, clock: Clock = utc_now) -> Services:
        cache = DirectoryCache(store)
        directory = DirectoryService(store, cache, clock=clock)
        memberships = MembershipService(store, cache, clock=clock)
        activity = ActivityService(
            store.activity, store.discussions, config.activity.flush_interval_seconds, clock=clock
        )
        discussions = DiscussionService(store.discussions, activity, directory, clock=clock)
        # The directory shows live discussion counts; the two depend on each other.
        directory.use_discussion_counts(discussions)
        reminders = ReminderService(store, clock, config.meetings.reminder_offsets)
        return cls(
            store=store,
            config=config,
            cache=cache,
            directory=directory,
            importer=DirectoryImporter(store, cache, clock=clock),
            memberships=memberships,
            resources=ResourceService(
                store, cache, clock=clock, cap=config.limits.items_per_initiative
            ),
            activity=activity,
            discussions=discussions,
            digest=DigestService(store, MeetingsFromRepository(store), clock=clock),
            nudges=NudgeService(store, config.nudges.quiet_days, clock=clock),
            privacy=PrivacyService(store, memberships, activity),
            reminders=reminders,
            meetings=MeetingService(
                store,
                clock,
                config.community.timezone,
                reminders,
                config.meetings.allow_past_with_confirmation,
            ),
            meeting_drafts=MeetingDraftService(store, clock),
            programme=ProgrammeService(store, clock, reminders),
            rsvp=RsvpService(store, clock),
            limits=rate_limiter(config),
        )

    async def start(self) -> None:
        """Warm the in-memory caches before the first interaction arrives."""
        await self.cache.warm()
        await self.activity.start()
        await self.discussions.start()

    async def close(self) -> None:
        """Flush buffered message counts before the database closes."""
        await self.activity.close()


def rate_limiter(config: Config) -> RateLimiter:
    """The per-member limits of ``[limits]`` (see config.example.toml)."""
    rates: dict[LimitKind, Rate | None] = {}
    for kind in LIMIT_KINDS:
        setting = getattr(config.limits, kind)
        rates[kind] = None if setting is None else Rate(count=setting[0], per=setting[1])
    return RateLimiter(rates)
