"""Who may see which assets: every read of assets goes through `visible_assets`.

Until user roles exist (the people issue), person-linked kinds (skill, volunteer) are left out
of every response for everybody, so no output can leak them; only published assets are public.
"""

from dataclasses import dataclass

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from app.models import PERSON_KINDS, Asset


@dataclass(frozen=True)
class Viewer:
    """The caller of a read: who they are (None: anonymous) and what they may see."""

    actor: str | None = None
    is_admin: bool = False


ANONYMOUS = Viewer()
SYSTEM = Viewer(actor="system", is_admin=True)


def visible_assets(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for assets this viewer may see."""
    not_people = Asset.kind.not_in(PERSON_KINDS)
    if viewer.is_admin:
        return not_people
    return and_(not_people, Asset.status == "published")
