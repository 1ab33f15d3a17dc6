"""Bad input on the web pages: any query string answers without a server error, static
files stay inside their folder, and text people typed is shown as text."""

from __future__ import annotations

import asyncio
import http.client
from urllib.parse import urlencode, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.web.conftest import Web

PATHS = (
    "/",
    "/meetings",
    "/clusters/citizen-focus",
    "/initiatives/humble-lamppost",
    "/calendar.ics",
)
KEYS = st.sampled_from(["q", "cluster", "page", "when", "x", "q[]", ""])
VALUES = st.text(max_size=300) | st.sampled_from(
    ["-1", "0", "99999999999999999999", "1e9", "NaN", "past", "%00", "../../etc/passwd", "\u202e"]
)


def fetch(base: str, target: str) -> tuple[int, str]:
    """One GET over a plain socket (this runs in a thread while Agora serves on the loop)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


async def test_fuzzed_query_strings_never_fail(web: Web) -> None:
    statuses: list[int] = []

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(PATHS), query=st.lists(st.tuples(KEYS, VALUES), max_size=4))
    def each(path: str, query: list[tuple[str, str]]) -> None:
        text = urlencode(query, encoding="utf-8", errors="surrogatepass")
        target = path + ("?" + text if text else "")
        status, body = fetch(web.url, target)
        statuses.append(status)
        assert status in (200, 400, 404), (target, status, body[:300])
        assert "Traceback" not in body

    await asyncio.to_thread(each)
    assert statuses.count(200) > len(statuses) // 2


async def test_static_files_stay_in_their_folder(web: Web) -> None:
    status, css, _ = await web.get("/static/agora.css")
    assert status == 200 and ":root" in css
    for target in (
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f%2e%2e%2fconfig%2f__init__.py",
        "/static//etc/passwd",
        "/static/templates/../../handlers.py",
    ):
        status, body = await asyncio.to_thread(fetch, web.url, target)
        assert status in (403, 404), (target, status)
        assert "def " not in body and "root:" not in body


async def test_names_with_markup_stay_text_everywhere(
    web: Web, sandbox: Sandbox, seeded: RunningAgora
) -> None:
    name = '<script>alert("x")</script> Lamp <b>bold</b>'
    document = (
        'format_version = 1\n[[initiatives]]\nslug = "script-lamp"\n'
        f"name = '{name}'\ncluster = \"citizen-focus\"\n"
        "goal = '<img src=x onerror=alert(1)> brighter streets'\n"
    )
    imported = await sandbox.user("admin").slash(
        "admin import", file=("markup.toml", document.encode())
    )
    assert "added" in imported.text.lower(), imported.text
    pages = [
        await web.page("/initiatives/script-lamp"),
        await web.page("/?cluster=citizen-focus"),
        await web.page("/?q=lamp"),
        await web.page("/clusters/citizen-focus"),
    ]
    for page in pages:
        assert "<script>alert" not in page
        assert "<b>bold</b>" not in page
        assert "<img src=x" not in page
        assert (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Lamp &lt;b&gt;bold&lt;/b&gt;" in page
        )
    _, _, headers = await web.get("/initiatives/script-lamp")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
