"""Everything held about a user, for their own download; and deleting their account.

Deleting an account: their "I use this" marks and "me too" supports, introductions, sessions and
tokens go; their offers' person records are erased through the erasure path
(app/services/coproduction/offers.withdraw_all); gaps they reported stay without a reporter;
what they suggested or reported stays, attributed to "<role>:deleted"; email queued to them is
dropped; and no copy of their email address is left in any text column of any table.
"""

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.errors import Conflict
from app.models import (
    ROLES,
    Area,
    Asset,
    AssetUse,
    AuditEvent,
    Base,
    Consent,
    Credential,
    Deficit,
    Erasure,
    Gap,
    GapSupport,
    Introduction,
    Offer,
    OutboxMessage,
    Report,
    User,
    UserArea,
)
from app.models.base import utcnow
from app.models.coproduction import SECRET_COLUMNS
from app.services import audit
from app.services.people import erasure
from app.spatial.geometry import geojson, geometry_from_db

EXPORT_FORMAT = "assetmap-account-export"
EXPORT_FORMAT_VERSION = 1
# What stands where a deleted address was found in free text.
REMOVED = "[removed]"
# Columns naming who did something (an actor string like "resident:12").
ACTOR_COLUMNS: tuple[tuple[Any, str], ...] = (
    (AuditEvent, "actor"),
    (Asset, "created_by"),
    (Asset, "updated_by"),
    (Deficit, "created_by"),
    (Deficit, "updated_by"),
    (Report, "reported_by"),
    (Report, "decided_by"),
    (Consent, "recorded_by"),
    (Erasure, "erased_by"),
    (Introduction, "handled_by"),
    (Offer, "decided_by"),
    (Gap, "decided_by"),
)


def actors_of(user_id: int) -> list[str]:
    """Every actor string the user may have written under (their role may have changed)."""
    return [f"{role}:{user_id}" for role in ROLES]


def deleted_actor(role: str) -> str:
    """Who a deleted user's work is attributed to: their role, no id."""
    return f"{role}:deleted"


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _row(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        if column.key in ("location", "service_area", "geom"):
            values[column.key] = geojson(geometry_from_db(value)) if value is not None else None
        else:
            values[column.key] = _json(value)
    return values


def _all(session: Session, model: Any, condition: ColumnElement[bool], order: Any) -> list[Any]:
    return list(session.scalars(select(model).where(condition).order_by(order)))


def export_account(session: Session, user: User) -> dict[str, Any]:
    """Everything held about the user, as one JSON document (never the password hash; the
    secret record keys of uses and supports, which would unlock published counts, left out)."""
    actors = actors_of(user.id)
    patch = sorted(
        session.scalars(
            select(Area.code)
            .join(UserArea, UserArea.area_id == Area.id)
            .where(UserArea.user_id == user.id)
        )
    )
    offers = []
    for offer in _all(session, Offer, Offer.user_id == user.id, Offer.id):
        record = erasure.export_person(session, offer.asset_id) if offer.asset_id else None
        offers.append({**_row(offer, skip=("user_id",)), "person_record": record})
    supports = _all(session, GapSupport, GapSupport.user_id == user.id, GapSupport.gap_id)
    # Their offers' person records are theirs too, but listed with the offers above.
    offered = [o["asset_id"] for o in offers if o["asset_id"] is not None]
    suggestions = _all(
        session, Asset, Asset.created_by.in_(actors) & Asset.id.not_in(offered), Asset.id
    )
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": utcnow().isoformat(),
        "user": {**_row(user, skip=("password_hash",)), "patch": patch},
        "uses": [
            _row(u, skip=("user_id", *SECRET_COLUMNS))
            for u in _all(session, AssetUse, AssetUse.user_id == user.id, AssetUse.asset_id)
        ],
        "offers": offers,
        "gaps_reported": [_row(g) for g in _all(session, Gap, Gap.reporter_id == user.id, Gap.id)],
        "gaps_supported": [_row(s, skip=("user_id", *SECRET_COLUMNS)) for s in supports],
        "suggestions": [{**_row(a), "themes": a.theme_codes} for a in suggestions],
        "reports": [
            _row(r, skip=("decided_by",))
            for r in _all(session, Report, Report.reported_by.in_(actors), Report.id)
        ],
        "introductions": [
            _row(i, skip=("requester_id", "handled_by"))
            for i in _all(
                session, Introduction, Introduction.requester_id == user.id, Introduction.id
            )
        ],
        "audit_events": [
            _row(e)
            for e in _all(
                session,
                AuditEvent,
                or_(
                    AuditEvent.actor.in_(actors),
                    (AuditEvent.entity_type == "user") & (AuditEvent.entity_id == str(user.id)),
                ),
                AuditEvent.id,
            )
        ],
    }


# ---- deleting -----------------------------------------------------------------------------------


def _only_admin(session: Session, user: User) -> bool:
    if user.role != "admin":
        return False
    others = session.scalar(
        select(func.count()).where(User.role == "admin", User.active, User.id != user.id)
    )
    return not others


def _without(value: Any, pattern: re.Pattern[str]) -> Any:
    """`value` with every occurrence of the address replaced (inside JSON structures too)."""
    if isinstance(value, str):
        return pattern.sub(REMOVED, value)
    if isinstance(value, list):
        return [_without(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _without(v, pattern) for k, v in value.items()}
    return value


def forget_address(session: Session, email: str) -> int:
    """Remove an email address from every text and JSON column of every table: a column that
    held just the address is emptied (or marked removed), free text loses the address. How
    many values changed. A sweep for copies nothing else knew of (a suggestion whose contact
    was the resident's own address, its audit trail)."""
    needle = email.strip().lower()
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    changed = 0
    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON) or column.primary_key:
                continue
            text = cast(column, Text) if isinstance(column.type, JSON) else column
            rows = session.execute(
                select(*keys, column).where(func.lower(text).contains(needle, autoescape=True))
            ).all()
            for row in rows:
                value = row[-1]
                if isinstance(value, str) and value.strip().lower() == needle:
                    new: Any = None if column.nullable else REMOVED
                else:
                    new = _without(value, pattern)
                where = [key == row[n] for n, key in enumerate(keys)]
                session.execute(update(table).where(*where).values({column.name: new}))
                changed += 1
    return changed


def delete_account(session: Session, user: User, *, ledger: Path | None = None) -> None:
    """Delete the account and everything personal hanging off it (flushed, not committed);
    the erased offers' tombstones also go in the erasure `ledger` when given
    (`erasure.ledger_path(settings)`). Conflict for the only admin."""
    from app.services.coproduction.offers import withdraw_all

    if _only_admin(session, user):
        raise Conflict("you are the only admin: make someone else an admin first")
    email, user_id = user.email, user.id
    gone = deleted_actor(user.role)
    withdraw_all(session, user_id=user_id, actor=gone, ledger=ledger)
    # Explicit deletes rather than ON DELETE CASCADE alone, as the erasure path does.
    for model, column in (
        (AssetUse, AssetUse.user_id),
        (GapSupport, GapSupport.user_id),
        (Introduction, Introduction.requester_id),
        (Credential, Credential.user_id),
        (UserArea, UserArea.user_id),
        (Offer, Offer.user_id),
    ):
        session.execute(delete(model).where(column == user_id))
    session.execute(update(Gap).where(Gap.reporter_id == user_id).values(reporter_id=None))
    actors = actors_of(user_id)
    for model, name in ACTOR_COLUMNS:
        session.execute(
            update(model)
            .where(getattr(model, name).in_(actors))
            .values({name: gone})
            .execution_options(synchronize_session=False)
        )
    session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.to_address) == email))
    session.execute(delete(User).where(User.id == user_id))
    session.expunge(user)
    audit.record(
        session,
        actor=gone,
        action="delete-account",
        entity_type="user",
        entity_id=user_id,
        changes={},
    )
    session.flush()
    forget_address(session, email)
    session.flush()
