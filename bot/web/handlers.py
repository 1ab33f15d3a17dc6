"""The pages and feeds: each handler reads the request, asks ``PublicSite``, renders."""

from __future__ import annotations

import gzip
from collections.abc import Hashable
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


class RenderedPages:
    """Pages rendered from the same view are the same bytes: the view (frozen dataclasses,
    live counts included) is the key, so a page is rendered again only when something it
    shows changed. Rendering the directory's sixty cards is most of a page's cost."""

    def __init__(self, keep: int = 512) -> None:
        self._keep = keep
        self._pages: dict[Hashable, tuple[bytes, bytes]] = {}

    def get(self, key: Hashable) -> tuple[bytes, bytes] | None:
        try:
            return self._pages.get(key)
        except TypeError:  # something in the view is not hashable: render each time
            return None

    def put(self, key: Hashable, body: bytes) -> tuple[bytes, bytes]:
        """The page, and the page compressed (once)."""
        both = (body, gzip.compress(body, compresslevel=6, mtime=0))
        try:
            hash(key)
        except TypeError:
            return both
        if len(self._pages) >= self._keep:
            self._pages.clear()
        self._pages[key] = both
        return both


RENDERED: web.AppKey[RenderedPages] = web.AppKey("rendered", RenderedPages)


def _render(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    key = (template, context["view"], context["base"], context["feed"])
    pages = request.app[RENDERED]
    both = pages.get(key)
    if both is None:
        rendered = aiohttp_jinja2.render_string(template, request, context)
        both = pages.put(key, rendered.encode("utf-8"))
    return _compressible(request, *both, content_type="text/html", cache=PAGE_CACHE)


def _compressible(
    request: web.Request,
    body: bytes,
    gzipped: bytes,
    *,
    content_type: str,
    cache: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """``body``, or its gzip form (made once, kept with it) for a client that takes it."""
    extra = {"Cache-Control": cache, "Vary": "Accept-Encoding", **(headers or {})}
    if _takes_gzip(request):
        body = gzipped
        extra["Content-Encoding"] = "gzip"
        if "ETag" in extra:  # another representation, another strong validator
            extra["ETag"] = _gzip_tag(extra["ETag"])
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=extra)


async def directory(request: web.Request) -> web.Response:
    view = await _site(request).directory(
        _names(request),
        cluster=_text(request, "cluster"),
        query=_text(request, "q"),
        page=_page_number(request),
    )
    feed = f"clusters/{view.cluster.slug}/calendar.ics" if view.cluster else "calendar.ics"
    return _render(request, "directory.html", {"view": view, **links(request, feed)})


async def initiative(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    view = await _site(request).initiative(_names(request), slug)
    feed = f"initiatives/{view.initiative.slug}/calendar.ics"
    return _render(request, "initiative.html", {"view": view, **links(request, feed)})


async def cluster(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    view = await _site(request).cluster(_names(request), slug, _page_number(request))
    feed = f"clusters/{view.cluster.slug}/calendar.ics"
    return _render(request, "cluster.html", {"view": view, **links(request, feed)})


async def meetings(request: web.Request) -> web.Response:
    when = request.query.get("when", "upcoming")
    if when not in ("upcoming", "past"):
        when = "upcoming"
    view = await _site(request).meetings(_names(request), when, _page_number(request))
    return _render(request, "meetings.html", {"view": view, **links(request)})


async def meeting(request: web.Request) -> web.Response:
    meeting_id = int(request.match_info["meeting_id"])
    view = await _site(request).meeting(_names(request), meeting_id)
    return _render(request, "meeting.html", {"view": view, **links(request)})


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
    return _compressible(
        request,
        feed.body,
        feed.gzipped,
        content_type="text/calendar",
        cache=FEED_CACHE,
        headers={
            "ETag": feed.etag,
            "Last-Modified": format_datetime(feed.last_modified, usegmt=True),
            "Content-Disposition": 'inline; filename="calendar.ics"',
        },
    )


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
        headers={"ETag": etag, "Cache-Control": FEED_CACHE, "Vary": "Accept-Encoding"},
    )
