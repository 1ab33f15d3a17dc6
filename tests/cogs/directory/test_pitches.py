"""/initiative pitch set end to end: the form, who may use it, /initiative info, a meeting's
pitch session listing the pitches, and a form left open across a restart."""

from __future__ import annotations

from bot.runtime import RunningAgora
from bot.services.common.permissions import Actor
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day

LAMP = "Humble Lamppost"
LINK_LABEL = "Link to slides or a video (optional)"
PITCH = (
    "Lampposts that light, sense and connect: 40 cities share one open specification."
    " Looking for [clusters](https://evil.example) and funders to scale it."
)


async def _lead(agora: RunningAgora, sandbox: Sandbox, name: str, initiative: str) -> None:
    owner = Actor(user_id=int(sandbox.user("admin").id), is_admin=True)
    await agora.bot.services.memberships.set_lead(
        int(sandbox.guild.id), owner, initiative, int(sandbox.user(name).id)
    )


async def test_a_lead_sets_the_pitch_in_a_form_and_info_shows_it(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    alice, carol, dave = sandbox.user("alice"), sandbox.user("carol"), sandbox.user("dave")
    await alice.slash("initiative join", initiative=LAMP)
    await _lead(agora, sandbox, "carol", LAMP)

    # A plain member and a non-member are told who can, and no form opens.
    for who in (alice, dave):
        refused = await who.slash("initiative pitch set", initiative=LAMP)
        assert refused.modal is None and refused.ephemeral, refused.text
        assert refused.text.startswith("Only leads of Humble Lamppost and organisers")

    opened = await carol.slash("initiative pitch set", initiative="humble lampost")  # a typo
    assert opened.modal is not None, opened.text
    assert opened.modal["title"] == "Pitch of Humble Lamppost"
    inputs = {
        row["components"][0]["custom_id"]: row["components"][0]
        for row in opened.modal["components"]
    }
    assert inputs["pitch"]["max_length"] == 500 and inputs["pitch"]["required"] is True
    assert inputs["link"]["required"] is False

    # A link that is not http(s) is refused, saying so; nothing is stored.
    bad = await carol.submit_modal({"Pitch": PITCH, LINK_LABEL: "javascript:alert(1)"})
    assert bad.ephemeral and "http:// or https://" in bad.text, bad.text
    assert "Nothing was changed" in bad.text
    guild_id = int(sandbox.guild.id)
    lamp = await agora.bot.services.directory.get_initiative(guild_id, LAMP)
    assert await agora.bot.services.pitches.get(guild_id, lamp.id) is None

    await carol.slash("initiative pitch set", initiative=LAMP)
    done = await carol.submit_modal({"Pitch": PITCH, LINK_LABEL: "https://slides.example/deck"})
    assert not done.ephemeral, done.text
    assert done.embed is not None
    assert (
        "[Slides or video](https://slides.example/deck) (slides.example)"
        in (done.embed["description"])
    )
    # The member's text is shown as written: its own markdown link is not a link.
    assert "](https://evil.example)" not in done.embed["description"]

    info = await dave.slash("initiative info", initiative=LAMP)
    assert info.embed is not None
    fields = {field["name"]: field["value"] for field in info.embed["fields"]}
    assert "40 cities share one open specification" in fields["Pitch"]
    assert "(slides.example)" in fields["Pitch"]

    # Setting it again replaces it; the form opens with what is there.
    again = await carol.slash("initiative pitch set", initiative=LAMP)
    assert again.modal is not None
    defaults = {
        row["components"][0]["custom_id"]: row["components"][0].get("value")
        for row in again.modal["components"]
    }
    assert defaults == {"pitch": PITCH, "link": "https://slides.example/deck"}
    await carol.submit_modal({"Pitch": "Shorter: light and data.", LINK_LABEL: ""})
    pitch = await agora.bot.services.pitches.get(guild_id, lamp.id)
    assert pitch is not None and pitch.text == "Shorter: light and data." and pitch.url == ""


async def test_an_organiser_sets_any_pitch_and_a_forged_form_is_refused(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    await sandbox.create_role("Organiser")
    organiser = await sandbox.join("olga")
    await sandbox.add_role("olga", "Organiser")
    opened = await organiser.slash("initiative pitch set", initiative="Urban Data Platform")
    assert opened.modal is not None, opened.text
    custom_id = opened.modal["custom_id"]
    # Someone else submits the same form (a modified client can): refused, nothing stored.
    forged = await sandbox.user("mallory").submit_modal({"Pitch": "Mine now"}, custom_id=custom_id)
    assert forged.ephemeral and forged.text.startswith("Only leads of Urban Data Platform")
    done = await organiser.submit_modal({"Pitch": "Open urban data, shared."})
    assert "set the pitch of **Urban Data Platform**" in done.text, done.text


async def test_a_pitch_session_lists_the_pitches_of_the_initiatives_it_names(
    sandbox: Sandbox, seeded: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    for initiative, text in (
        (LAMP, "Light, sense, connect."),
        ("Urban Data Platform", "One platform for a city's data."),
        ("Participatory Budgeting", "Residents decide, cities deliver."),
    ):
        await admin.slash("initiative pitch set", initiative=initiative)
        done = await admin.submit_modal({"Pitch": text, LINK_LABEL: "https://deck.example/a"})
        assert "set the pitch" in done.text, done.text
    created = await create_meeting(
        sandbox, "Action Clusters Meeting", start=f"{next_year_day()} 09:00", end="17:00"
    )
    meeting_id = meeting_id_of(created)
    lamp_cluster = (
        await seeded.bot.services.directory.get_initiative(int(sandbox.guild.id), LAMP)
    ).cluster_id
    clusters, _ = await seeded.bot.services.directory.names_by_id(int(sandbox.guild.id))
    added = await admin.slash(
        "meeting session add",
        meeting=str(meeting_id),
        title="Initiative pitches",
        start="10:00",
        end="11:00",
        kind="pitch",
        cluster=clusters[lamp_cluster],
    )
    assert "Added to" in added.text, added.text

    info = await sandbox.user("bob").slash("meeting info", meeting=str(meeting_id))
    assert info.embed is not None
    fields = {field["name"]: field["value"] for field in info.embed["fields"]}
    directory = seeded.bot.services.directory
    guild_id = int(sandbox.guild.id)
    other = await directory.get_initiative(guild_id, "participatory-budgeting")
    assert other.cluster_id != lamp_cluster
    # The session is for Lamppost's cluster: its initiatives' pitches, not another's.
    pitches = fields["Pitches"]
    assert "**Humble Lamppost**: Light, sense, connect." in pitches, pitches
    assert "**Urban Data Platform**: One platform for a city's data." in pitches
    assert "Residents decide" not in pitches
    assert "(deck.example)" in fields["Pitches"]
    assert len(str(info.embed)) < 6000

    # The announcement shows them too (refreshed when the session was added).
    announcement = [
        m
        for m in sandbox.messages("announcements")
        if m["embeds"] and f"Meeting #{meeting_id}" in m["embeds"][0]["footer"]["text"]
    ]
    assert announcement, "no announcement"
    names = [field["name"] for field in announcement[-1]["embeds"][0]["fields"]]
    assert "Pitches" in names


async def test_a_pitch_form_open_across_a_restart_is_still_answered(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    admin = sandbox.user("admin")
    opened = await admin.slash("initiative pitch set", initiative=LAMP)
    assert opened.modal is not None
    await agora.stop()
    again = await start_agora_fn()
    done = await admin.submit_modal({"Pitch": "Still here after a restart."})
    assert "set the pitch of **Humble Lamppost**" in done.text, done.text
    guild_id = int(sandbox.guild.id)
    lamp = await again.bot.services.directory.get_initiative(guild_id, LAMP)
    pitch = await again.bot.services.pitches.get(guild_id, lamp.id)
    assert pitch is not None and pitch.text == "Still here after a restart."


async def test_many_long_pitches_fit_discords_limits(sandbox: Sandbox, agora: RunningAgora) -> None:
    """Every seed initiative with a 500-character pitch, a meeting of the whole community
    with a 1,000-character description: the pitches are cut evenly, the rest counted."""
    guild_id = int(sandbox.guild.id)
    services = agora.bot.services
    owner = Actor(user_id=int(sandbox.user("admin").id), is_admin=True)
    initiatives = await services.directory.all_initiatives(guild_id)
    for initiative in initiatives:
        text = f"{initiative.name}: " + "lampposts and data " * 40
        await services.pitches.set(
            guild_id, owner, initiative.id, text[:500], "https://deck.example/" + initiative.slug
        )
    created = await create_meeting(
        sandbox,
        "Action Clusters Meeting",
        description="d" * 1000,
        start=f"{next_year_day()} 09:00",
        end="17:00",
    )
    meeting_id = meeting_id_of(created)
    for n, kind in enumerate(("pitch", "pitch", "plenary")):
        await sandbox.user("admin").slash(
            "meeting session add",
            meeting=str(meeting_id),
            title=f"Session {n} " + "x" * 150,
            start=f"{10 + n}:00",
            end=f"{10 + n}:30",
            kind=kind,
        )
    info = await sandbox.user("bob").slash("meeting info", meeting=str(meeting_id))
    assert info.embed is not None, info.text
    embed = info.embed
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert len(fields["Pitches"]) <= 1024
    assert "more" in fields["Pitches"]
    total = len(embed["title"]) + len(embed.get("description", "")) + len(embed["footer"]["text"])
    total += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert total <= 6000
    assert not sandbox.failures, sandbox.failures
