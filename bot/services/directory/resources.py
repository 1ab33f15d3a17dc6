"""Documents and projects of initiatives: a title and an http(s) link each.

Members of an initiative may add; the author, the initiative's leads and
organisers may edit or remove (see ``permissions``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.errors import Conflict, InvalidInput
from bot.services.common.clock import Clock, utc_now
from bot.services.common.fuzzy import fold
from bot.services.common.ids import plain_id
from bot.services.common.name_matcher import Candidate, Kind, pick, rank_names
from bot.services.common.names import clean_text
from bot.services.common.permissions import Actor, require_add_resource, require_change_resource
from bot.services.common.text import plural
from bot.services.directory.cache import DirectoryCache
from bot.services.directory.service import Page, check_page, clamp_page, resolve_initiative
from bot.storage.directory.models import Resource, ResourceKind
from bot.storage.directory.resources import ItemLimitReached
from bot.storage.store import Store

MAX_TITLE_LENGTH = 100
MAX_URL_LENGTH = 512
MAX_ITEMS_PER_INITIATIVE = 500  # documents, and projects, each; [limits] in the config
TYPO_WINDOW = 300  # newest items a typo of a title is compared with
KINDS: tuple[ResourceKind, ...] = ("document", "project")


def title_problem(title: str) -> str | None:
    if not title.strip():
        return "the title is empty"
    if len(title) > MAX_TITLE_LENGTH:
        return f"the title is {len(title)} characters long; the limit is {MAX_TITLE_LENGTH}"
    if "\n" in title or "\r" in title:
        return "the title must be on one line"
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` is not an acceptable http(s) link, or None."""
    if not url:
        return "the link is empty"
    if len(url) > MAX_URL_LENGTH:
        return f"the link is {len(url)} characters long; the limit is {MAX_URL_LENGTH}"
    if any(char.isspace() or ord(char) < 32 for char in url):
        return "the link contains spaces; paste it again without them (or write %20)"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return f"`{url}` is not a valid link"
    if parts.scheme.lower() not in ("http", "https"):
        return "the link must start with http:// or https://"
    if not parts.hostname:
        return "the link has no host; write it like https://example.org/report.pdf"
    return None


def _kind(kind: str) -> ResourceKind:
    for known in KINDS:
        if kind == known:
            return known
    raise InvalidInput(f"Unknown kind {kind!r}; use document or project.")


class ResourceService:
    def __init__(
        self,
        store: Store,
        cache: DirectoryCache,
        clock: Clock = utc_now,
        cap: int = MAX_ITEMS_PER_INITIATIVE,
    ) -> None:
        self._store = store
        self._cache = cache
        self._clock = clock
        self._cap = cap

    async def add(
        self, guild_id: int, actor: Actor, initiative_text: str, kind: str, title: str, url: str
    ) -> Resource:
        resource_kind = _kind(kind)
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        require_add_resource(actor, initiative.id, initiative.name, resource_kind)
        title, url = clean_text(title).strip(), url.strip()
        problem = title_problem(title) or url_problem(url)
        if problem:
            raise InvalidInput(f"Cannot add the {resource_kind}: {problem}.")
        try:
            resource = await self._store.resources.add(
                guild_id,
                initiative.id,
                resource_kind,
                title,
                url,
                actor.user_id,
                self._clock(),
                cap=self._cap,
            )
        except ItemLimitReached as full:
            group = "doc" if resource_kind == "document" else "project"
            listed = plural(full.count, resource_kind)
            raise Conflict(
                f"{initiative.name} already lists {listed}, the most an"
                f" initiative can hold ({self._cap:,}). Remove one it no longer needs with"
                f" /initiative {group} remove, then add this one again."
            ) from None
        directory.adjust_resources(initiative.id, resource_kind, 1)
        return resource

    async def list_resources(
        self, guild_id: int, initiative_text: str, kind: str, page: int = 1, page_size: int = 10
    ) -> Page[Resource]:
        """Newest first."""
        resource_kind = _kind(kind)
        check_page(page, page_size)
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        total = directory.resource_count(initiative.id, resource_kind)
        page = clamp_page(page, page_size, total)
        items, total = await self._store.resources.list_page(
            guild_id, initiative.id, resource_kind, page_size, (page - 1) * page_size
        )
        return Page(items=tuple(items), total=total, page=page, page_size=page_size)

    async def get(self, guild_id: int, resource_id: int) -> Resource:
        return await self._store.resources.get(guild_id, resource_id)

    async def find(self, guild_id: int, initiative_text: str, kind: str, text: str) -> Resource:
        """One of the initiative's documents (or projects) by number (``3``, ``#3``: the
        initiative's own numbering of that kind) or title.

        The autocomplete sends the number; someone who types the title and presses
        enter gets the item with that title (case-insensitive). Numbers are per
        initiative and kind, so `/initiative doc remove` can never remove another
        initiative's item, nor a project.
        """
        resource_kind = _kind(kind)
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        wanted = text.strip()
        number = plain_id(wanted)
        if number is not None:
            numbered = await self._store.resources.get_numbered(
                guild_id, initiative.id, resource_kind, number
            )
            if numbered is not None:
                return numbered
        await self._store.resources.use_title_key(fold)
        titled = await self._store.resources.find_titled(
            guild_id, initiative.id, resource_kind, fold(wanted)
        )
        if titled is not None:
            return titled
        # Removing is the one use: a part or a typo of a title is suggested, never used.
        listing = f"/initiative {'doc' if resource_kind == 'document' else 'project'} list"
        kind_words = Kind(
            singular=resource_kind,
            plural=f"{resource_kind}s",
            missing=f"{initiative.name} has no {resource_kind} “{{typed}}”.",
            where=f"Pick one from the suggestions, or see them all with {listing}.",
        )
        items = await self._candidates(guild_id, initiative.id, resource_kind, wanted)
        candidates = [Candidate(item.id, item.title, (f"#{item.id}",)) for item in items.values()]
        return items[pick(wanted, candidates, kind_words, "exact").key]

    async def _candidates(
        self, guild_id: int, initiative_id: int, kind: ResourceKind, text: str
    ) -> dict[int, Resource]:
        """Items whose title holds ``text`` and, for typos, the newest ones, by the name matcher."""
        await self._store.resources.use_title_key(fold)
        found = await self._store.resources.search_titles(
            guild_id, initiative_id, kind, fold(text), 25
        )
        if text:
            found += await self._store.resources.search_titles(
                guild_id, initiative_id, kind, "", TYPO_WINDOW
            )
        return {item.id: item for item in found}

    async def choices(
        self, guild_id: int, initiative_text: str, kind: str, current: str, limit: int = 25
    ) -> list[Resource]:
        """Autocomplete for an initiative's items: titles starting with, then containing,
        what was typed (newest first within each); at most ``limit``."""
        resource_kind = _kind(kind)
        directory = await self._cache.get(guild_id)
        initiative = resolve_initiative(directory, initiative_text)
        items = await self._candidates(guild_id, initiative.id, resource_kind, current)
        candidates = [Candidate(item.id, item.title, (f"#{item.id}",)) for item in items.values()]
        ranked = rank_names(current[:MAX_TITLE_LENGTH], candidates, max(1, limit))
        return [items[candidate.key] for candidate in ranked]

    async def edit(
        self,
        guild_id: int,
        actor: Actor,
        resource_id: int,
        *,
        title: str | None = None,
        url: str | None = None,
    ) -> Resource:
        resource = await self._store.resources.get(guild_id, resource_id)
        directory = await self._cache.get(guild_id)
        name = directory.initiatives[resource.initiative_id].name
        require_change_resource(
            actor, resource.initiative_id, resource.added_by, name, resource.kind
        )
        new_title = resource.title if title is None else title.strip()
        new_url = resource.url if url is None else url.strip()
        problem = title_problem(new_title) or url_problem(new_url)
        if problem:
            raise InvalidInput(f"Cannot change {resource.kind} #{resource.number}: {problem}.")
        return await self._store.resources.update(
            guild_id, resource_id, new_title, new_url, self._clock()
        )

    async def remove(self, guild_id: int, actor: Actor, resource_id: int) -> Resource:
        resource = await self._store.resources.get(guild_id, resource_id)
        directory = await self._cache.get(guild_id)
        name = directory.initiatives[resource.initiative_id].name
        require_change_resource(
            actor, resource.initiative_id, resource.added_by, name, resource.kind
        )
        removed = await self._store.resources.remove(guild_id, resource_id)
        directory.adjust_resources(removed.initiative_id, removed.kind, -1)
        return removed
