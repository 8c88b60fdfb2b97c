"""Who may see and change which assets: every read of assets goes through `visible_assets`.

People (`skill`, `volunteer`) are seen as records only by admins and by connectors whose patch
contains them; everybody else sees them only as counts (app/services/people/disclosure.py).
Only published assets are public; connectors also see everything in their patch, whatever its
status.
"""

from dataclasses import dataclass, replace

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.models import PERSON_KINDS, Asset, AssetArea

ROLE_ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Viewer:
    """The caller: who they are (actor None: anonymous), their role and, for a connector, the
    ids of the areas of their patch (None: every area)."""

    actor: str | None = None
    role: str = ROLE_ANONYMOUS
    user_id: int | None = None
    patch: frozenset[int] | None = None
    # False for outputs that must never hold people whoever runs them (bulk exports).
    with_people: bool = True

    @property
    def is_admin(self) -> bool:
        """Admins see and change everything."""
        return self.role == "admin"

    @property
    def is_connector(self) -> bool:
        """Connectors look after the assets (and people) of their patch."""
        return self.role == "connector"

    @property
    def signed_in(self) -> bool:
        """Whether the caller is a known user (or the admin token)."""
        return self.actor is not None


ANONYMOUS = Viewer()
SYSTEM = Viewer(actor="system", role="admin")
# Bulk exports: every asset but people (a person's data leaves only through `people export`).
EXPORTER = Viewer(actor="system", role="admin", with_people=False)


def in_patch(viewer: Viewer) -> ColumnElement[bool]:
    """Assets this viewer looks after: all for admins and unscoped connectors, those assigned
    to an area of the patch for scoped connectors, none for anybody else."""
    if viewer.is_admin or (viewer.is_connector and viewer.patch is None):
        return true()
    if not viewer.is_connector or not viewer.patch:
        return false()
    return Asset.id.in_(
        select(AssetArea.asset_id).where(AssetArea.area_id.in_(sorted(viewer.patch)))
    )


def visible_assets(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for assets this viewer may see as records."""
    public = and_(Asset.kind.not_in(PERSON_KINDS), Asset.status == "published")
    if not viewer.with_people:
        return and_(
            Asset.kind.not_in(PERSON_KINDS), visible_assets(replace(viewer, with_people=True))
        )
    if viewer.is_admin:
        return true()
    if viewer.is_connector:
        return or_(public, in_patch(viewer))
    return public


def editable_assets(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for assets this viewer may change (connectors: their patch)."""
    return in_patch(viewer)
