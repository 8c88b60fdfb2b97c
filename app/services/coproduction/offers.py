""" "I can help": a resident offers time or a skill under a theme near their home.

An offer is a pending person record (kind skill or volunteer) holding the resident's own
consent (method "self-service", the notice version they were shown, three years at most) and
their account email as its contact, routed to the connectors of the patch it falls in (the
record's areas), plus an Offer row the resident follows. A connector of the patch confirms it
(the record is published: from then on it is a person like any other, public only as counts)
or declines it with a reason the resident sees (the record is erased). Withdrawing an offer, or
deleting the account, erases the record through the same path as a connector's erasure
(app/services/people/erasure.py: tombstone, scrubbed trail).

The trail of an offer holds its status changes only: the title and description are the
resident's own words, kept on the record whose trail erasure scrubs.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import LEVELS, Area, Asset, AssetArea, Offer, Theme, User
from app.models.base import utcnow
from app.schemas.assets import AssetCreate
from app.schemas.offers import OfferCreate
from app.schemas.people import MAX_CONSENT, ConsentIn
from app.services import audit
from app.services.assets import records
from app.services.assets.visibility import SYSTEM, Viewer, editable_assets
from app.services.coproduction.offer_notice import NOTICE_VERSION, notice_version
from app.services.needs.postcodes import lookup_postcode
from app.services.people import erasure

# Records made from offers say so (connectors' lists, exports of a person's data).
OFFER_SOURCE = "offer"
CONSENT_METHOD = "self-service"
# Where a record field refused at creation comes from in the offer.
_OFFER_FIELD = {"name": "title", "description": "description", "location": "near"}


@dataclass(frozen=True)
class OfferView:
    """One offer as its resident, and the connectors of its patch, see it (`asset_id`, `area`
    and `contact_email`: None once its record is erased)."""

    id: int
    kind: str
    theme_code: str
    theme_label_en: str
    theme_label_cy: str
    title: str
    description: str | None
    status: str
    decline_reason: str | None
    created_at: datetime
    decided_at: datetime | None
    asset_id: int | None
    area: str | None
    contact_email: str | None


def _area_names(session: Session, asset_ids: list[int]) -> dict[int, str]:
    """The name of the finest area holding each record."""
    rows = session.execute(
        select(AssetArea.asset_id, Area.level, Area.name_en, Area.name_cy, Area.code)
        .join(Area, Area.id == AssetArea.area_id)
        .where(AssetArea.asset_id.in_(asset_ids))
    )
    best: dict[int, tuple[int, str]] = {}
    for asset_id, level, name_en, name_cy, code in rows:
        rank = LEVELS.index(level) if level in LEVELS else len(LEVELS)
        if asset_id not in best or rank < best[asset_id][0]:
            best[asset_id] = (rank, name_en or name_cy or code)
    return {asset_id: name for asset_id, (_rank, name) in best.items()}


def _views(session: Session, offers: list[Offer]) -> list[OfferView]:
    codes = sorted({o.theme_code for o in offers})
    themes = {t.code: t for t in session.scalars(select(Theme).where(Theme.code.in_(codes)))}
    asset_ids = sorted({o.asset_id for o in offers if o.asset_id is not None})
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(asset_ids)))}
    areas = _area_names(session, asset_ids)
    views = []
    for o in offers:
        asset = assets.get(o.asset_id) if o.asset_id is not None else None
        views.append(
            OfferView(
                id=o.id,
                kind=o.kind,
                theme_code=o.theme_code,
                theme_label_en=themes[o.theme_code].label_en,
                theme_label_cy=themes[o.theme_code].label_cy,
                title=o.title,
                description=(asset.description_en or asset.description_cy) if asset else None,
                status=o.status,
                decline_reason=o.decline_reason,
                created_at=o.created_at,
                decided_at=o.decided_at,
                asset_id=asset.id if asset else None,
                area=areas.get(asset.id) if asset else None,
                contact_email=asset.email if asset else None,
            )
        )
    return views


# ---- reading ------------------------------------------------------------------------------------


def offers_of(session: Session, user_id: int) -> list[OfferView]:
    """A resident's own offers, newest first, with status, theme, title and decline reason."""
    offers = list(
        session.scalars(select(Offer).where(Offer.user_id == user_id).order_by(Offer.id.desc()))
    )
    return _views(session, offers)


def pending_offers(session: Session, viewer: Viewer, *, limit: int = 200) -> list[OfferView]:
    """Pending offers of the viewer's patch (admins and unscoped connectors: all), oldest
    first: the connector's queue."""
    offers = list(
        session.scalars(
            select(Offer)
            .join(Asset, Asset.id == Offer.asset_id)
            .where(Offer.status == "pending", editable_assets(viewer))
            .order_by(Offer.id)
            .limit(limit)
        )
    )
    return _views(session, offers)


def offer_view(session: Session, offer_id: int) -> OfferView:
    """One offer's view (the caller has checked who may see it)."""
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(f"offer {offer_id} not found")
    return _views(session, [offer])[0]


# ---- offering -----------------------------------------------------------------------------------


def consent_expiry(now: datetime) -> datetime:
    """Three years from now by the calendar, never beyond the consent maximum."""
    try:
        ahead = now.replace(year=now.year + 3)
    except ValueError:  # 29 February
        ahead = now.replace(year=now.year + 3, day=28)
    return min(ahead, now + MAX_CONSENT)


def _place(session: Session, data: OfferCreate) -> tuple[float, float]:
    if data.near is not None:
        return data.near[0], data.near[1]
    assert data.postcode is not None  # the schema requires one of the two
    try:
        found = lookup_postcode(session, data.postcode)
    except NotFound as exc:
        raise InvalidInput(("body", "postcode"), exc.message) from exc
    return found.lon, found.lat


def _resident(session: Session, viewer: Viewer) -> User:
    if viewer.user_id is None:
        raise Forbidden("the admin token is no user account: sign in as a user to offer help")
    user = session.get(User, viewer.user_id)
    if user is None:
        raise Forbidden("sign in to your own account to offer help")
    return user


def create_offer(session: Session, viewer: Viewer, data: OfferCreate) -> OfferView:
    """Record a resident's offer: a pending person record with their own consent and their
    account email as its contact, in the patch of the place given, and the Offer row
    (flushed, not committed). InvalidInput for an unknown theme, postcode or notice."""
    user = _resident(session, viewer)
    theme = session.get(Theme, data.theme)
    if theme is None or not theme.active:
        raise InvalidInput(("body", "theme"), f"unknown theme {data.theme!r}; see /api/v1/themes")
    if data.notice_version not in {notice_version(lang) for lang in ("en", "cy")}:
        raise InvalidInput(
            ("body", "notice_version"),
            f"the privacy notice is now {NOTICE_VERSION}: read it again "
            "(GET /api/v1/offers/notice) and agree to it",
        )
    lon, lat = _place(session, data)
    now = utcnow()
    expires = consent_expiry(datetime.now(UTC))
    words = "cy" if data.language == "cy" else "en"
    try:
        record = AssetCreate.model_validate(
            {
                "kind": data.kind,
                f"name_{words}": data.title,
                f"description_{words}": data.description,
                "themes": [theme.code],
                "location": {"type": "Point", "coordinates": [lon, lat]},
                "status": "pending",
                "source": OFFER_SOURCE,
                # Validated as a connector's consent would be; its method is then the
                # resident's own.
                "consent": {
                    "method": "online",
                    "notice_version": data.notice_version,
                    "expires_at": expires,
                },
            }
        )
    except ValidationError as exc:  # the record's rules, stricter than the offer's anywhere
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        field = _OFFER_FIELD.get(name.removesuffix("_en").removesuffix("_cy"), "title")
        raise InvalidInput(("body", field), error["msg"]) from None
    own_consent = ConsentIn.model_construct(
        method=CONSENT_METHOD, notice_version=data.notice_version, expires_at=expires
    )
    record = record.model_copy(update={"consent": own_consent})
    actor = viewer.actor or f"resident:{user.id}"
    asset = records.create_asset(session, actor=actor, data=record, viewer=SYSTEM)
    # The account's email is how the connector reaches them: set on the record, not in the
    # trail (it was checked when the account was made).
    asset.email = user.email
    offer = Offer(
        user_id=user.id,
        asset_id=asset.id,
        kind=data.kind,
        theme_code=theme.code,
        title=data.title,
        status="pending",
        created_at=now,
    )
    session.add(offer)
    session.flush()
    _audit(session, actor, "create", offer, None)
    session.flush()
    return _views(session, [offer])[0]


def _audit(session: Session, actor: str, action: str, offer: Offer, before: str | None) -> None:
    # Status and theme only: what the resident wrote stays on the record, whose trail is scrubbed.
    changes: dict[str, list[Any]] = {"status": [before, offer.status]}
    if action == "create":
        changes.update({"kind": [None, offer.kind], "theme_code": [None, offer.theme_code]})
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="offer",
        entity_id=offer.id,
        changes=changes,
    )


# ---- deciding -----------------------------------------------------------------------------------


def _in_patch(session: Session, viewer: Viewer, offer_id: int) -> Offer:
    """The offer if its record is in the viewer's patch; NotFound otherwise (whoever asks)."""
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(f"offer {offer_id} not found")
    if offer.asset_id is None:  # its record is erased, so its patch is unknown
        if offer.status == "pending":  # erased by a connector or admin meanwhile
            raise NotFound(f"offer {offer_id} not found: its record was erased")
        raise Conflict(f"offer {offer_id} was already {offer.status}")
    mine = select(Asset.id).where(Asset.id == offer.asset_id, editable_assets(viewer))
    if session.scalar(mine) is None:
        raise NotFound(f"offer {offer_id} not found")
    if offer.status != "pending":
        raise Conflict(f"offer {offer_id} was already {offer.status}")
    return offer


def _claim(
    session: Session, offer: Offer, status: str, actor: str, *, reason: str | None = None
) -> None:
    """Decide a pending offer in one conditional UPDATE, so that of two connectors deciding at
    once the database lets one through and the other gets Conflict."""
    claimed = session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == "pending")
        .values(status=status, decline_reason=reason, decided_at=utcnow(), decided_by=actor)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise Conflict(f"offer {offer.id} was decided by someone else first")
    session.refresh(offer)


def confirm(session: Session, viewer: Viewer, offer_id: int) -> OfferView:
    """Confirm a pending offer of the viewer's patch: its record is published (flushed).
    NotFound outside the patch; Conflict if it was decided already."""
    offer = _in_patch(session, viewer, offer_id)
    asset_id = offer.asset_id
    assert asset_id is not None
    actor = viewer.actor or "admin"
    _claim(session, offer, "confirmed", actor)
    records.update_asset(
        session,
        viewer=viewer,
        asset_id=asset_id,
        expected_version=None,
        data={"status": "published"},
    )
    _audit(session, actor, "confirm", offer, "pending")
    session.flush()
    return _views(session, [offer])[0]


def decline(
    session: Session, viewer: Viewer, offer_id: int, reason: str, *, ledger: Path | None = None
) -> OfferView:
    """Decline a pending offer of the viewer's patch with a reason the resident sees; its
    record is erased (tombstone, also in `ledger` when given) and only the title and reason
    stay for the resident (flushed)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(("body", "reason"), "say why the offer is declined")
    offer = _in_patch(session, viewer, offer_id)
    actor = viewer.actor or "admin"
    _claim(session, offer, "declined", actor, reason=reason)
    _erase_record(session, offer, actor=actor, ledger=ledger)
    _audit(session, actor, "decline", offer, "pending")
    session.flush()
    return _views(session, [offer])[0]


# ---- withdrawing --------------------------------------------------------------------------------


def _erase_record(session: Session, offer: Offer, *, actor: str, ledger: Path | None) -> None:
    """Erase the offer's person record (if it still has one) through the erasure path, its
    tombstone also in the erasure ledger when one is given (before the caller commits: should
    the commit fail, a restore erases a person who asked to be erased, never brings one back)."""
    asset_id = offer.asset_id
    if asset_id is None:
        return
    offer.asset_id = None
    session.flush()
    tombstone = erasure.erase_person(session, asset_id, actor=actor)
    if ledger is not None:
        erasure.append_to_ledger(ledger, [tombstone])


def withdraw(
    session: Session, viewer: Viewer, offer_id: int, *, ledger: Path | None = None
) -> None:
    """A resident withdraws their own offer: its record is erased (tombstone, same path as a
    connector's erasure; also in `ledger` when given) and the offer deleted (flushed).
    NotFound for anybody else's."""
    offer = session.get(Offer, offer_id)
    if offer is None or viewer.user_id is None or offer.user_id != viewer.user_id:
        raise NotFound(f"offer {offer_id} not found")
    actor = viewer.actor or f"resident:{viewer.user_id}"
    _withdraw(session, offer, actor=actor, ledger=ledger)
    session.flush()


def _withdraw(session: Session, offer: Offer, *, actor: str, ledger: Path | None) -> None:
    _erase_record(session, offer, actor=actor, ledger=ledger)
    audit.record(
        session,
        actor=actor,
        action="withdraw",
        entity_type="offer",
        entity_id=offer.id,
        changes={"status": [offer.status, None]},
    )
    session.delete(offer)


def withdraw_all(session: Session, *, user_id: int, actor: str, ledger: Path | None = None) -> int:
    """Withdraw every offer of a resident (account deletion): erase each person record through
    the erasure path (tombstone, scrubbed trail; also in `ledger`, e.g.
    `erasure.ledger_path(settings)`, when given), delete the offers; how many (flushed)."""
    offers = list(session.scalars(select(Offer).where(Offer.user_id == user_id)))
    for offer in offers:
        _withdraw(session, offer, actor=actor, ledger=ledger)
    session.flush()
    return len(offers)
