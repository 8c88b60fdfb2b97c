"""Deciding residents' "missing here" gaps: publish (as a service deficit at the centre of the
gap's 100 m square), merge into another gap (its "me too"s move there), or decline with a
reason the reporter sees. Connectors decide the gaps of their patch; planners and admins all
(app/services/coproduction/gaps.py `may_decide`). A gap is decided once: the database decides
who was first, and the second decider gets a Conflict.
"""

from pyproj import Geod
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Gap
from app.models.base import utcnow
from app.schemas.deficits import DeficitCreate
from app.services.assets.visibility import Viewer
from app.services.coproduction.gaps import (
    SOURCE,
    GapView,
    audit_gap,
    is_decider,
    may_decide,
    move_supports,
    public_point,
    views_for,
)
from app.services.needs.deficits import create_deficit

DEFAULT_SEVERITY = 3
TITLE_MAX = 300
# How far apart two gaps may be for one to be offered as the other's merge target.
MERGE_DISTANCE_M = 2000.0
GEOD = Geod(ellps="WGS84")


def merge_candidates(
    session: Session, viewer: Viewer, gap_id: int, *, distance_m: float = MERGE_DISTANCE_M
) -> list[GapView]:
    """The gaps of the same theme within distance_m that a gap may be merged into: published
    ones, and pending ones the viewer decides; nearest first."""
    gap = _decidable(session, viewer, gap_id)
    found = []
    for other in session.scalars(
        select(Gap).where(
            Gap.id != gap.id,
            Gap.theme_code == gap.theme_code,
            Gap.status.in_(("pending", "published")),
        )
    ):
        metres = GEOD.inv(gap.lon, gap.lat, other.lon, other.lat)[2]
        if metres <= distance_m and (
            other.status == "published" or may_decide(session, viewer, other)
        ):
            found.append((metres, other.id, other))
    return views_for(session, viewer, [g for _m, _i, g in sorted(found, key=lambda t: t[:2])])


def _decidable(session: Session, viewer: Viewer, gap_id: int) -> Gap:
    if not is_decider(viewer):
        raise Forbidden("only connectors, planners and admins decide reported gaps")
    gap = session.get(Gap, gap_id)
    if gap is None or not may_decide(session, viewer, gap):
        raise NotFound(f"gap {gap_id} not found")
    return gap


def _claim(session: Session, viewer: Viewer, gap: Gap, status: str) -> None:
    """Move a pending gap to `status`, decided by the database: Conflict if someone else
    decided it first."""
    result = session.execute(
        update(Gap)
        .where(Gap.id == gap.id, Gap.status == "pending")
        .values(status=status, decided_at=utcnow(), decided_by=viewer.actor)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.refresh(gap)
        raise Conflict(f"gap {gap.id} was already decided: it is {gap.status}")
    session.refresh(gap)


def _title(text: str) -> tuple[str, str | None]:
    """A deficit's title from a gap's text (shortened at a word), and its description: the
    whole text when the title had to be shortened."""
    line = " ".join(text.split())
    if len(line) <= TITLE_MAX:
        return line, None
    cut = line[: TITLE_MAX - 1].rsplit(" ", 1)[0] or line[: TITLE_MAX - 1]
    return cut + "…", text


def publish_gap(
    session: Session, viewer: Viewer, gap_id: int, *, severity: int = DEFAULT_SEVERITY
) -> GapView:
    """Publish a pending gap as a service deficit (source "residents", at the centre of its
    100 m square, title in the gap's language); flushed."""
    if not 1 <= severity <= 5:
        raise InvalidInput(("body", "severity"), "severity is 1 (minor) to 5 (severe)")
    gap = _decidable(session, viewer, gap_id)
    _claim(session, viewer, gap, "published")
    title, description = _title(gap.text)
    lon, lat = public_point(gap.lon, gap.lat)
    deficit = create_deficit(
        session,
        actor=viewer.actor or "admin",
        data=DeficitCreate.model_validate(
            {
                "theme": gap.theme_code,
                f"title_{gap.language}": title,
                f"description_{gap.language}": description,
                "severity": severity,
                "location": {"type": "Point", "coordinates": [lon, lat]},
                "source": SOURCE,
                "source_id": str(gap.id),
            }
        ),
    )
    gap.deficit_id = deficit.id
    audit_gap(
        session,
        viewer,
        "publish",
        gap,
        status=["pending", "published"],
        deficit_id=[None, deficit.id],
    )
    session.flush()
    return views_for(session, viewer, [gap])[0]


def merge_gap(session: Session, viewer: Viewer, gap_id: int, into_id: int) -> GapView:
    """Merge a pending gap into another (published, or pending and decided by the viewer):
    its supports move there, one per resident; it becomes merged. Returns the target."""
    gap = _decidable(session, viewer, gap_id)
    if into_id == gap.id:
        raise InvalidInput(("body", "into"), "a gap cannot be merged into itself")
    target = session.get(Gap, into_id)
    if target is None or not (target.status == "published" or may_decide(session, viewer, target)):
        raise InvalidInput(("body", "into"), f"gap {into_id} is not a gap you may merge into")
    if target.status not in ("pending", "published"):
        raise InvalidInput(("body", "into"), f"gap {into_id} is {target.status}: choose another")
    _claim(session, viewer, gap, "merged")
    gap.merged_into_id = target.id
    move_supports(session, gap.id, target.id)
    audit_gap(
        session,
        viewer,
        "merge",
        gap,
        status=["pending", "merged"],
        merged_into_id=[None, target.id],
    )
    session.flush()
    return views_for(session, viewer, [target])[0]


def decline_gap(session: Session, viewer: Viewer, gap_id: int, reason: str) -> GapView:
    """Decline a pending gap with a reason its reporter and supporters see; flushed."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(("body", "reason"), "give the reason the resident will see")
    gap = _decidable(session, viewer, gap_id)
    _claim(session, viewer, gap, "declined")
    gap.decline_reason = reason
    audit_gap(session, viewer, "decline", gap, status=["pending", "declined"])
    session.flush()
    return views_for(session, viewer, [gap])[0]
