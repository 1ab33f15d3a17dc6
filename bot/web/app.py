"""The web application (``make_app``) and the server Agora starts and stops with it
(``WebServer``), on aiohttp, with Jinja2 templates (autoescaped) and one stylesheet."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.errors import AgoraError, InvalidInput
from bot.services.common.links import link_host
from bot.services.web.site import MemberNames, NotPublic, PublicSite
from bot.web import format as fmt
from bot.web.handlers import (
    NAMES,
    RENDERED,
    SECURITY_HEADERS,
    SITE,
    RenderedPages,
    base_url,
    links,
    routes,
)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def static_folder() -> Path:
    return Path(str(resources.files("bot.web").joinpath("static")))


def make_app(site: PublicSite, names: MemberNames) -> web.Application:
    app = web.Application(middlewares=[_errors])
    app[SITE] = site
    app[NAMES] = names
    app[RENDERED] = RenderedPages()
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        # The templates ship with Agora and never change while it runs: no stat() of the
        # template file on every render.
        auto_reload=False,
    )
    environment.filters.update(
        time_range=fmt.time_range,
        iso_utc=fmt.iso_utc,
        clock=fmt.clock,
        day=fmt.day,
        utc_offset=fmt.utc_offset,
        count=fmt.count,
        host=link_host,
    )
    app.add_routes(routes())
    # aiohttp's static route refuses paths outside the folder (and symlinks out of it).
    app.router.add_static("/static/", static_folder(), name="static", follow_symlinks=False)
    return app


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A helpful page for what is not there or not public (404) and for bad input (400);
    anything else is logged and answered without details (500). Every answer has the
    security headers (pages and feeds are made with them; the rest gets them here)."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        if error.status == 404:
            return _problem(request, 404, "Not found", "There is nothing at this address.")
        if error.status == 405:
            return _problem(request, 405, "Read only", "These pages can only be read.")
        raise
    except NotPublic as error:
        return _problem(request, 404, "Not found", error.message)
    except InvalidInput as error:
        return _problem(request, 400, "Not understood", error.message)
    except AgoraError as error:
        return _problem(request, 404, "Not found", error.message)
    except Exception:
        log.exception("web page %s failed", request.path)
        return _problem(
            request, 500, "Something went wrong", "Agora could not show this page; try again."
        )
    if "X-Frame-Options" not in response.headers:  # the stylesheet and the script
        response.headers.update(SECURITY_HEADERS)
    return response


def _problem(request: web.Request, status: int, title: str, message: str) -> web.Response:
    site = request.app[SITE]
    context = {
        "title": title,
        "message": message,
        "published": site.publication.site_guild() is not None,
        "path": request.path,
        **links(request),
    }
    try:
        response = aiohttp_jinja2.render_template("problem.html", request, context, status=status)
    except Exception:  # the page itself failed: plain text, still no details
        log.exception("rendering the %s page failed", status)
        response = web.Response(status=status, text=f"{title}: {message}")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response


class WebServer:
    """The pages on ``host:port``, started and stopped with Agora."""

    def __init__(self, site: PublicSite, names: MemberNames, host: str, port: int) -> None:
        self._site = site
        self._app = make_app(site, names)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        tcp = web.TCPSite(runner, self._host, self._port)
        await tcp.start()
        self._runner = runner
        port = self._port
        for address in runner.addresses:  # the real port when 0 was asked for
            port = int(address[1])
            break
        host = f"[{self._host}]" if ":" in self._host else self._host
        self.url = f"http://{host}:{port}/"
        self._site.publication.listening_url = self.url
        log.info("web pages on %s", self._site.publication.base_url())
        return self.url

    @property
    def pages(self) -> RenderedPages:
        """The rendered pages kept (and how many were rendered)."""
        return self._app[RENDERED]

    @property
    def public_url(self) -> str:
        return self._site.publication.base_url() or self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


__all__ = ["WebServer", "base_url", "make_app"]
