"""The pages and feeds: each handler reads the request, asks ``PublicSite``, renders."""

from __future__ import annotations

import gzip
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.services.web.feeds import Feed, FeedScope
from bot.services.web.publication import webcal
from bot.services.web.site import MemberNames, PublicSite

SITE: web.AppKey[PublicSite] = web.AppKey("site", PublicSite)
NAMES: web.AppKey[MemberNames] = web.AppKey("names", MemberNames)

PAGE_CACHE = "public, max-age=30"
FEED_CACHE = "public, max-age=300"


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", directory),
        web.get("/initiatives/{slug}", initiative),
        web.get("/initiatives/{slug}/calendar.ics", initiative_feed),
        web.get("/clusters/{slug}", cluster),
        web.get("/clusters/{slug}/calendar.ics", cluster_feed),
        web.get("/meetings", meetings),
        web.get("/meetings/{meeting_id:[0-9]{1,18}}", meeting),
        web.get("/calendar.ics", community_feed),
    ]


def _site(request: web.Request) -> PublicSite:
    return request.app[SITE]


def _names(request: web.Request) -> MemberNames:
    return request.app[NAMES]


def _page_number(request: web.Request) -> int:
    text = request.query.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 1


def _text(request: web.Request, key: str, limit: int = 200) -> str:
    return request.query.get(key, "")[:limit]


def links(request: web.Request, feed_path: str = "calendar.ics") -> dict[str, str]:
    """The addresses every page shows: home, meetings, and its calendar feed."""
    base = base_url(request)
    return {
        "base": base,
        "feed": base + feed_path,
        "webcal": webcal(base + feed_path),
    }


def base_url(request: web.Request) -> str:
    configured = _site(request).publication.base_url()
    if configured:
        return configured
    return f"{request.scheme}://{request.host}/"


PAGE_SECONDS = 5.0  # a rendered page is answered again for at most this long
PAGE_BYTES = 32 * 1024 * 1024  # rendered pages kept (plain and gzipped), least recent out

# Every answer carries them; a kept page's headers are made once, with them in.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self';"
        " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_HTML_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": PAGE_CACHE,
    "Vary": "Accept-Encoding",
}
_GZIP_HTML_HEADERS = {**_HTML_HEADERS, "Content-Encoding": "gzip"}


@dataclass(frozen=True, slots=True)
class KeptPage:
    version: Hashable
    until: float  # time.monotonic()
    body: bytes
    gzipped: bytes


class RenderedPages:
    """Pages as bytes (and gzipped, once), answered again while ``PublicSite.version()``
    says nothing they show was written, for ``PAGE_SECONDS`` at most (what time alone
    changes, such as a meeting ending, and names from Discord). A request for a kept page
    reads no database and renders nothing: it is a dictionary lookup. At most
    ``budget`` bytes are kept; the least recently asked page goes first."""

    def __init__(self, budget: int = PAGE_BYTES) -> None:
        self._budget = budget
        self._size = 0
        self._pages: OrderedDict[Hashable, KeptPage] = OrderedDict()
        self.renders = 0  # pages rendered since start

    def get(self, key: Hashable, version: Hashable, now: float) -> KeptPage | None:
        kept = self._pages.get(key)
        if kept is None or kept.version != version or now > kept.until:
            return None
        self._pages.move_to_end(key)
        return kept

    def put(self, key: Hashable, version: Hashable, until: float, body: bytes) -> KeptPage:
        self.renders += 1
        # Level 1: a page is a few kilobytes and compresses about as well (a 3.2 kB
        # initiative page: 1,277 bytes against 1,195 at level 6) in half the time.
        kept = KeptPage(version, until, body, gzip.compress(body, compresslevel=1, mtime=0))
        old = self._pages.pop(key, None)
        if old is not None:
            self._size -= len(old.body) + len(old.gzipped)
        self._pages[key] = kept
        self._size += len(body) + len(kept.gzipped)
        while self._size > self._budget and self._pages:
            _, dropped = self._pages.popitem(last=False)
            self._size -= len(dropped.body) + len(dropped.gzipped)
        return kept


RENDERED: web.AppKey[RenderedPages] = web.AppKey("rendered", RenderedPages)

Build = Callable[[], Awaitable[tuple[str, dict[str, Any]]]]


async def _page(request: web.Request, key: Hashable, build: Build) -> web.Response:
    """The kept page for ``key``, or ``build``'s (template and context) rendered now and
    kept under the version read before building: a write that overlapped the build moved
    the version on, so that page is not answered again."""
    pages = request.app[RENDERED]
    version = _site(request).version()
    now = time.monotonic()
    kept = pages.get(key, version, now)
    if kept is None:
        template, context = await build()
        rendered = aiohttp_jinja2.render_string(template, request, context)
        kept = pages.put(key, version, now + PAGE_SECONDS, rendered.encode("utf-8"))
    if _takes_gzip(request):
        return web.Response(body=kept.gzipped, headers=_GZIP_HTML_HEADERS)
    return web.Response(body=kept.body, headers=_HTML_HEADERS)


def _host(request: web.Request) -> str:
    """What the page's links start with, when no base_url is configured."""
    return "" if _site(request).publication.base_url() else f"{request.scheme}://{request.host}"


async def directory(request: web.Request) -> web.Response:
    cluster_slug = _text(request, "cluster")
    query = _text(request, "q")
    page = _page_number(request)

    async def build() -> tuple[str, dict[str, Any]]:
        view = await _site(request).directory(
            _names(request), cluster=cluster_slug, query=query, page=page
        )
        feed = f"clusters/{view.cluster.slug}/calendar.ics" if view.cluster else "calendar.ics"
        return "directory.html", {"view": view, **links(request, feed)}

    return await _page(request, ("/", cluster_slug, query, page, _host(request)), build)


async def initiative(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]

    async def build() -> tuple[str, dict[str, Any]]:
        view = await _site(request).initiative(_names(request), slug)
        feed = f"initiatives/{view.initiative.slug}/calendar.ics"
        return "initiative.html", {"view": view, **links(request, feed)}

    return await _page(request, ("initiative", slug, _host(request)), build)


async def cluster(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    page = _page_number(request)

    async def build() -> tuple[str, dict[str, Any]]:
        view = await _site(request).cluster(_names(request), slug, page)
        feed = f"clusters/{view.cluster.slug}/calendar.ics"
        return "cluster.html", {"view": view, **links(request, feed)}

    return await _page(request, ("cluster", slug, page, _host(request)), build)


async def meetings(request: web.Request) -> web.Response:
    when = request.query.get("when", "upcoming")
    if when not in ("upcoming", "past"):
        when = "upcoming"
    page = _page_number(request)

    async def build() -> tuple[str, dict[str, Any]]:
        view = await _site(request).meetings(_names(request), when, page)
        return "meetings.html", {"view": view, **links(request)}

    return await _page(request, ("meetings", when, page, _host(request)), build)


async def meeting(request: web.Request) -> web.Response:
    meeting_id = int(request.match_info["meeting_id"])

    async def build() -> tuple[str, dict[str, Any]]:
        view = await _site(request).meeting(_names(request), meeting_id)
        return "meeting.html", {"view": view, **links(request)}

    return await _page(request, ("meeting", meeting_id, _host(request)), build)


# --- calendar feeds --------------------------------------------------------------


async def community_feed(request: web.Request) -> web.StreamResponse:
    return await _feed(request, await _site(request).feed_scope())


async def cluster_feed(request: web.Request) -> web.StreamResponse:
    scope = await _site(request).feed_scope(cluster=request.match_info["slug"])
    return await _feed(request, scope)


async def initiative_feed(request: web.Request) -> web.StreamResponse:
    scope = await _site(request).feed_scope(initiative=request.match_info["slug"])
    return await _feed(request, scope)


async def _feed(request: web.Request, scope: FeedScope) -> web.StreamResponse:
    site = _site(request)
    etag = site.feeds.version(scope)
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        # Answered from the version alone: nothing is built.
        return _not_modified(_gzip_tag(etag) if _takes_gzip(request) else etag)
    feed = await site.feed(scope)
    since = request.headers.get("If-Modified-Since")
    if since and "If-None-Match" not in request.headers and _not_modified_since(since, feed):
        return _not_modified(_gzip_tag(feed.etag) if _takes_gzip(request) else feed.etag)
    gz = _takes_gzip(request)
    headers = _FEED_HEADERS.get((feed.etag, gz))
    if headers is None:
        headers = {
            **SECURITY_HEADERS,
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": FEED_CACHE,
            "Vary": "Accept-Encoding",
            "ETag": _gzip_tag(feed.etag) if gz else feed.etag,
            "Last-Modified": format_datetime(feed.last_modified, usegmt=True),
            "Content-Disposition": 'inline; filename="calendar.ics"',
        }
        if gz:
            headers["Content-Encoding"] = "gzip"
        if len(_FEED_HEADERS) >= 512:
            _FEED_HEADERS.clear()
        _FEED_HEADERS[(feed.etag, gz)] = headers
    return web.Response(body=feed.gzipped if gz else feed.body, headers=headers)


# A feed's headers, made once per version and representation.
_FEED_HEADERS: dict[tuple[str, bool], dict[str, str]] = {}


def _takes_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


def _gzip_tag(etag: str) -> str:
    return etag[:-1] + '-gz"'


def _etag_matches(header: str, etag: str) -> bool:
    """Either representation's tag (plain or gzip) names this version."""
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags or _gzip_tag(etag) in tags


def _not_modified_since(header: str, feed: Feed) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        return False
    return feed.last_modified <= since


def _not_modified(etag: str) -> web.Response:
    return web.Response(
        status=304,
        headers={
            **SECURITY_HEADERS,
            "ETag": etag,
            "Cache-Control": FEED_CACHE,
            "Vary": "Accept-Encoding",
        },
    )
