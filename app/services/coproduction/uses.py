""" "I use this": one mark per resident per public asset, undoable.

Who uses what is never shown to anybody, admins included, and never leaves in an export: it
can reveal health or money worries. Only `use_counts` and `area_use_counts` leave this module,
and they publish through the people rule (disclosure.publish): a perturbed count, or None for
"fewer than 5" (zero included). Every mark holds a secret record key for the cell key.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound
from app.models import Asset, AssetArea, AssetUse
from app.models.base import utcnow
from app.services.assets.visibility import ANONYMOUS, Viewer, visible_assets
from app.services.people.disclosure import FEWER, new_record_key, publish
from app.vocabularies import PUBLIC_KINDS


@dataclass(frozen=True)
class UseCount:
    """How many residents use an asset (or the assets of an area), as published: `residents`
    None means fewer than 5, zero included."""

    residents: int | None

    @property
    def shown_as(self) -> str:
        """The count in words: the number, or 'fewer than 5'."""
        return FEWER if self.residents is None else str(self.residents)


def _usable(session: Session, asset_id: int) -> None:
    """Residents mark only assets anybody may see: published and not about a person (any
    other is not found, as it is for the public)."""
    visible = session.scalar(
        select(Asset.id).where(Asset.id == asset_id, visible_assets(ANONYMOUS))
    )
    if visible is None:
        raise NotFound(f"asset {asset_id} not found")


def _resident(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Forbidden("sign in to your own account to say you use something")
    return viewer.user_id


def mark(session: Session, viewer: Viewer, asset_id: int) -> bool:
    """Say the viewer uses the asset; True if newly marked, False if it was already (flushed)."""
    user_id = _resident(viewer)
    _usable(session, asset_id)
    if session.get(AssetUse, (user_id, asset_id)) is not None:
        return False
    try:
        # A savepoint: the same resident's second request at the same moment (a double click)
        # finds the row taken, which is an answer, not an error.
        with session.begin_nested():
            session.add(
                AssetUse(
                    user_id=user_id,
                    asset_id=asset_id,
                    record_key=new_record_key(),
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


def unmark(session: Session, viewer: Viewer, asset_id: int) -> bool:
    """Take the viewer's mark back; True if there was one (flushed). An asset no longer public
    can still be unmarked."""
    result = session.execute(
        delete(AssetUse).where(AssetUse.user_id == _resident(viewer), AssetUse.asset_id == asset_id)
    )
    session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def uses(session: Session, viewer: Viewer, asset_id: int) -> bool:
    """Whether the viewer marked this asset (shown to them alone, on their own pages)."""
    if viewer.user_id is None:
        return False
    return session.get(AssetUse, (viewer.user_id, asset_id)) is not None


def marked_by(session: Session, user_id: int) -> list[int]:
    """The asset ids one resident marked: for their own "My contributions" and download only."""
    return list(
        session.scalars(
            select(AssetUse.asset_id).where(AssetUse.user_id == user_id).order_by(AssetUse.asset_id)
        )
    )


def use_count(session: Session, asset_id: int) -> UseCount:
    """The published use count of one public asset; NotFound for any other."""
    _usable(session, asset_id)
    return use_counts(session, [asset_id])[asset_id]


def use_counts(session: Session, asset_ids: Iterable[int]) -> dict[int, UseCount]:
    """Published use counts of these assets (every id given has an entry)."""
    ids = sorted(set(asset_ids))
    tallies = {
        asset_id: (int(count), int(key_sum))
        for asset_id, count, key_sum in session.execute(
            select(AssetUse.asset_id, func.count(), func.sum(AssetUse.record_key))
            .join(Asset, Asset.id == AssetUse.asset_id)
            .where(AssetUse.asset_id.in_(ids), Asset.status == "published")
            .group_by(AssetUse.asset_id)
        )
    }
    return {i: UseCount(publish(*tallies.get(i, (0, 0)))) for i in ids}


def area_use_counts(session: Session, area_ids: Iterable[int]) -> dict[int, UseCount]:
    """Published counts of residents' marks on the published public assets of these areas
    (a resident who uses two assets of an area counts twice: these are uses, not people)."""
    ids = sorted(set(area_ids))
    tallies = {
        area_id: (int(count), int(key_sum))
        for area_id, count, key_sum in session.execute(
            select(AssetArea.area_id, func.count(), func.sum(AssetUse.record_key))
            .join(AssetUse, AssetUse.asset_id == AssetArea.asset_id)
            .join(Asset, Asset.id == AssetUse.asset_id)
            .where(
                AssetArea.area_id.in_(ids),
                Asset.status == "published",
                Asset.kind.in_(PUBLIC_KINDS),
            )
            .group_by(AssetArea.area_id)
        )
    }
    return {i: UseCount(publish(*tallies.get(i, (0, 0)))) for i in ids}
