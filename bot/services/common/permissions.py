"""Who may do what with the directory, memberships, documents and projects.

One source of truth for the cogs, the services and the permission-matrix test:
pure functions over an ``Actor``. ``can_*`` answer yes/no (to show or hide a
button); ``require_*`` raise PermissionDenied with the reason and the way out.

The rules:
* admins (Manage Server / Administrator) may do everything, including imports,
  setup and creating or deleting initiatives;
* organisers (the organiser role / Manage Events) may edit any initiative, set
  leads and edit or remove any document or project;
* leads of an initiative may edit it, set its leads and edit or remove its
  documents and projects;
* members of an initiative may add documents and projects to it, and edit or
  remove the ones they added themselves;
* anyone may join, leave, and read.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The person asking, as far as permissions go."""

    user_id: int
    is_admin: bool = False  # Manage Server or Administrator
    is_organiser: bool = False  # the organiser role or Manage Events
    lead_of: frozenset[int] = frozenset()  # initiative ids
    member_of: frozenset[int] = frozenset()  # initiative ids (leads included)

    @property
    def is_staff(self) -> bool:
        return self.is_admin or self.is_organiser


def can_administer(actor: Actor) -> bool:
    """Import/export the directory, run setup, create or delete initiatives, settings."""
    return actor.is_admin


def can_manage_initiative(actor: Actor, initiative_id: int) -> bool:
    """Edit the initiative's name/goal, set its leads, link its channel and role."""
    return actor.is_staff or initiative_id in actor.lead_of


def can_add_resource(actor: Actor, initiative_id: int) -> bool:
    return can_manage_initiative(actor, initiative_id) or initiative_id in actor.member_of


def can_change_resource(actor: Actor, initiative_id: int, added_by: int | None) -> bool:
    """Edit or remove a document/project: managers of the initiative, or its author."""
    if can_manage_initiative(actor, initiative_id):
        return True
    return added_by is not None and added_by == actor.user_id


def require_admin(actor: Actor, action: str) -> None:
    if not can_administer(actor):
        raise PermissionDenied(
            f"Only server admins (Manage Server) can {action}. Ask an admin to do it."
        )


def require_manage_initiative(actor: Actor, initiative_id: int, name: str, action: str) -> None:
    if not can_manage_initiative(actor, initiative_id):
        raise PermissionDenied(
            f"Only leads of {name} and organisers can {action}. "
            f"Ask a lead of {name} or an organiser."
        )


def require_add_resource(actor: Actor, initiative_id: int, name: str, kind: str) -> None:
    if not can_add_resource(actor, initiative_id):
        raise PermissionDenied(
            f"Only members of {name} can add a {kind} to it. "
            f"Join {name} first, or ask one of its leads."
        )


def require_change_resource(
    actor: Actor, initiative_id: int, added_by: int | None, name: str, kind: str
) -> None:
    if not can_change_resource(actor, initiative_id, added_by):
        raise PermissionDenied(
            f"Only the person who added this {kind}, leads of {name} and organisers "
            f"can change or remove it."
        )
