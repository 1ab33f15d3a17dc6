"""An initiative's pitch on its public page: set in Discord's form, shown under "Pitch" as
text (with its link's real host), and the next request shows it once it changes."""

from __future__ import annotations

from discord_sandbox import Sandbox
from tests.web.conftest import Web

LINK_LABEL = "Link to slides or a video (optional)"
PAGE = "/initiatives/humble-lamppost"


def pitch_section(page: str) -> str:
    """The page's Pitch section (its HTML)."""
    assert '<h2 id="pitch">Pitch</h2>' in page, page
    return page.split('<h2 id="pitch">Pitch</h2>', 1)[1].split("</section>", 1)[0]


async def test_the_pitch_is_on_the_initiative_page_as_text_and_follows_changes(
    web: Web, sandbox: Sandbox
) -> None:
    admin = sandbox.user("admin")
    # Rendered (and kept) before there is a pitch: no Pitch heading.
    before = await web.page(PAGE)
    assert 'id="pitch"' not in before

    await admin.slash("initiative pitch set", initiative="humble-lamppost")
    done = await admin.submit_modal(
        {
            "Pitch": "Light, sense, connect <script>alert(1)</script> & **scale**.\nLine two.",
            LINK_LABEL: "https://evil.example/deck",
        }
    )
    assert "set the pitch" in done.text, done.text

    section = pitch_section(await web.page(PAGE))
    assert (
        "Light, sense, connect &lt;script&gt;alert(1)&lt;/script&gt; &amp; **scale**.\nLine two."
        in section
    )
    assert "<script>" not in section
    assert '<a href="https://evil.example/deck" rel="nofollow noopener noreferrer">' in section
    assert 'Slides or video</a> <span class="host">(evil.example)</span>' in section

    # Set again, without a link: the next request shows the new pitch, and only it.
    await admin.slash("initiative pitch set", initiative="humble-lamppost")
    done = await admin.submit_modal({"Pitch": "Shorter: light and data.", LINK_LABEL: ""})
    assert "set the pitch" in done.text, done.text
    page = await web.page(PAGE)
    section = pitch_section(page)
    assert "Shorter: light and data." in section
    assert "Light, sense, connect" not in page
    assert "evil.example" not in page and "<a " not in section

    # Other initiatives' pages are unchanged: no pitch, no heading.
    assert 'id="pitch"' not in await web.page("/initiatives/urban-data-platform")
