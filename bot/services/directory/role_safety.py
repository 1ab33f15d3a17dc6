"""Which roles Agora may hand out: only roles it can prove are harmless.

Agora gives an initiative's role to anyone who joins the initiative, so that
role must carry no power. One check, used wherever a role is mapped to an
initiative (``/admin setup``), given (``/initiative join``) or followed (a role
given by hand starts a membership). A role is safe when it:

* is not ``@everyone``;
* is not managed by a bot or an integration (bot, Server Booster, linked-app roles);
* is not the organiser role (by id once recorded, see ``organisers``; before that, the
  role with the name the config gives it, case-insensitive);
* grants no permission that ``@everyone`` does not already have;
* sits strictly below Agora's own highest role.

Pure: the cogs describe a role as ``RoleFacts`` and the guild as ``RoleGuard``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Discord's permission bits, with the names its role settings show.
PERMISSION_NAMES: dict[int, str] = {
    0: "Create Invite",
    1: "Kick Members",
    2: "Ban Members",
    3: "Administrator",
    4: "Manage Channels",
    5: "Manage Server",
    6: "Add Reactions",
    7: "View Audit Log",
    8: "Priority Speaker",
    9: "Video",
    10: "View Channels",
    11: "Send Messages",
    12: "Send Text-to-Speech Messages",
    13: "Manage Messages",
    14: "Embed Links",
    15: "Attach Files",
    16: "Read Message History",
    17: "Mention @everyone, @here and All Roles",
    18: "Use External Emoji",
    19: "View Server Insights",
    20: "Connect",
    21: "Speak",
    22: "Mute Members",
    23: "Deafen Members",
    24: "Move Members",
    25: "Use Voice Activity",
    26: "Change Nickname",
    27: "Manage Nicknames",
    28: "Manage Roles",
    29: "Manage Webhooks",
    30: "Manage Expressions",
    31: "Use Application Commands",
    32: "Request to Speak",
    33: "Manage Events",
    34: "Manage Threads",
    35: "Create Public Threads",
    36: "Create Private Threads",
    37: "Use External Stickers",
    38: "Send Messages in Threads",
    39: "Use Activities",
    40: "Timeout Members",
    41: "View Creator Monetization Analytics",
    42: "Use Soundboard",
    43: "Create Expressions",
    44: "Create Events",
    45: "Use External Sounds",
    46: "Send Voice Messages",
    48: "Set Voice Channel Status",
    49: "Create Polls",
    50: "Use External Apps",
    51: "Pin Messages",
    52: "Bypass Slowmode",
}

# How a role Agora creates for an initiative is named when the initiative's own
# name is taken by a role Agora must not hand out.
INITIATIVE_ROLE_SUFFIX = " (initiative)"
MAX_ROLE_NAME = 100  # Discord's limit


@dataclass(frozen=True)
class RoleFacts:
    """What Agora knows of a role, as far as handing it out goes."""

    id: int
    name: str
    managed: bool = False  # bot, Server Booster or integration role
    permissions: int = 0  # Discord's permission bit set
    position: int = 0
    is_default: bool = False  # @everyone


@dataclass(frozen=True)
class RoleGuard:
    """The guild's side of the check."""

    everyone_permissions: int  # what @everyone may do already
    agora_position: int  # position of Agora's highest role (0: unknown, nothing is below)
    organiser_role: str  # the organiser role's name, from the config
    organiser_role_id: int | None = None  # the recorded organiser role (OrganiserRoles)

    def problems(self, role: RoleFacts) -> tuple[str, ...]:
        """Why Agora must not hand ``role`` out; empty when it is safe."""
        if role.is_default or role.name == "@everyone":
            return ("it is @everyone",)
        found: list[str] = []
        if role.managed:
            found.append("it belongs to a bot or integration")
        if self.is_organiser_role(role):
            found.append("it is the organiser role, which gives /admin and organiser powers")
        extra = role.permissions & ~self.everyone_permissions
        if extra:
            found.append(f"it grants {permission_list(extra)}, which @everyone does not have")
        if role.position >= self.agora_position:
            found.append("it is not below Agora's highest role")
        return tuple(found)

    def why_unsafe(self, role: RoleFacts) -> str | None:
        """One short human line (no trailing full stop), or None when the role is safe."""
        found = self.problems(role)
        return "; ".join(found) if found else None

    def is_safe(self, role: RoleFacts) -> bool:
        return not self.problems(role)

    def why_not_create(self, name: str) -> str | None:
        """Why a new role named ``name`` (created with @everyone's permissions) would be
        unsafe; None when it would be safe."""
        if not name.strip() or name.casefold() == "@everyone":
            return "Discord keeps that name for @everyone"
        if self.organiser_role_id is None and _named_like(name, self.organiser_role):
            return "a role with that name is the organiser role, which gives /admin powers"
        return None

    def is_organiser_role(self, role: RoleFacts) -> bool:
        """The recorded organiser role; while none is recorded, the one the config names."""
        if self.organiser_role_id is not None:
            return role.id == self.organiser_role_id
        return _named_like(role.name, self.organiser_role)


def _named_like(name: str, organiser_role: str) -> bool:
    return bool(organiser_role) and name.casefold() == organiser_role.casefold()


def initiative_role_name(name: str) -> str:
    """The distinct name for an initiative's role: "<name> (initiative)", within 100 characters."""
    return name[: MAX_ROLE_NAME - len(INITIATIVE_ROLE_SUFFIX)] + INITIATIVE_ROLE_SUFFIX


def permission_list(bits: int) -> str:
    """ "Kick Members and Ban Members", "A, B and 2 more": the names of the bits set."""
    names = [
        PERMISSION_NAMES.get(bit, f"permission bit {bit}")
        for bit in range(bits.bit_length())
        if bits >> bit & 1
    ]
    if len(names) > 3:
        names = [*names[:2], f"{len(names) - 2} more"]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
