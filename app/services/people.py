"""People as assets (skill, volunteer): consent, public locations, and counts for everybody else.

Only admins and the connectors of a person's patch see the record itself (visibility.py).
Everybody else sees people as counts per area and theme, computed from public locations (the
centre of the person's 1 km grid square, app/services/grid.py) and shown as "fewer than 5"
below five. Records count only while published and within their consent.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import PERSON_KINDS, Area, Asset, AssetTheme, Consent, PublicLocation, Theme
from app.models.base import utcnow
from app.schemas.people import FEWER, ConsentIn, shown_count
from app.services import audit
from app.services.analysis import GEOD
from app.services.areas import areas_covering
from app.services.grid import public_square
from app.services.theme_points import sync_theme_points
from app.services.visibility import SYSTEM, Viewer, editable_assets
from app.spatial import BBox, backend_for
from app.spatial.base import radius_envelope
from app.spatial.geometry import geometry_from_db, point_element

COUNT_METHOD = (
    "People who offer their skills or time are counted at the centre of the 1 km grid square "
    "they live or meet in (British National Grid in Great Britain), never at their own address; "
    f"a count under 5 is shown as '{FEWER}'. Only published records with current consent count."
)


def is_person(asset: Asset) -> bool:
    """Whether the asset is about a person (skill or volunteer)."""
    return asset.kind in PERSON_KINDS


def record_consent(session: Session, asset: Asset, consent: ConsentIn, *, actor: str) -> Consent:
    """Add a consent record to a person-linked asset and make it the current one."""
    now = utcnow()
    row = Consent(
        asset_id=asset.id,
        recorded_by=actor,
        recorded_at=now,
        method=consent.method,
        notice_version=consent.notice_version,
        expires_at=consent.expires_at,
    )
    session.add(row)
    asset.consent_recorded_by = actor
    asset.consent_recorded_at = now
    asset.consent_expires_at = consent.expires_at
    return row


def consent_current(asset: Asset, now: datetime | None = None) -> bool:
    """Whether the asset's latest consent has not expired."""
    expires = asset.consent_expires_at
    return expires is not None and expires > (now or utcnow())


def check_publishable(asset: Asset) -> None:
    """A person-linked record may be published only with current consent."""
    if is_person(asset) and asset.status == "published" and not consent_current(asset):
        raise InvalidInput(("body", "status"), "consent has expired: record new consent first")


def save_public_location(session: Session, asset: Asset) -> None:
    """Fix the public location of a person-linked asset from its exact one (1 km square)."""
    point = geometry_from_db(asset.location)
    square = public_square(point.x, point.y)
    row = session.get(PublicLocation, asset.id)
    if row is None:
        row = PublicLocation(asset_id=asset.id)
        session.add(row)
    row.location = point_element(square.lon, square.lat)
    row.grid = square.grid
    row.cell = square.cell


def expire_consents(session: Session, *, now: datetime | None = None) -> list[int]:
    """Unpublish person-linked records whose consent has lapsed; their ids (audited)."""
    now = now or utcnow()
    lapsed = list(
        session.scalars(
            select(Asset).where(
                Asset.kind.in_(PERSON_KINDS),
                Asset.status == "published",
                (Asset.consent_expires_at.is_(None)) | (Asset.consent_expires_at <= now),
            )
        )
    )
    for asset in lapsed:
        asset.status = "pending"
        sync_theme_points(asset)
        asset.version += 1
        asset.updated_at = now
        asset.updated_by = SYSTEM.actor
        audit.record(
            session,
            actor=SYSTEM.actor or "system",
            action="consent-expired",
            entity_type="asset",
            entity_id=asset.id,
            changes={"status": ["published", "pending"]},
        )
    session.flush()
    return [a.id for a in lapsed]


def lapsed_consents(session: Session, *, viewer: Viewer, within_days: int = 0) -> list[Asset]:
    """Person-linked records of the viewer's patch whose consent has lapsed (or will, within
    the given days): the connector's list of people to ask again."""
    horizon = utcnow() + timedelta(days=within_days)
    stmt = (
        select(Asset)
        .where(
            Asset.kind.in_(PERSON_KINDS),
            Asset.status != "archived",
            (Asset.consent_expires_at.is_(None)) | (Asset.consent_expires_at <= horizon),
            editable_assets(viewer),
        )
        .order_by(Asset.consent_expires_at, Asset.id)
    )
    return list(session.scalars(stmt))


# ---- counts: what everybody else sees ----------------------------------------------------------


def _counted(now: datetime) -> list[Any]:
    return [
        Asset.kind.in_(PERSON_KINDS),
        Asset.status == "published",
        Asset.consent_expires_at > now,
    ]


@dataclass(frozen=True)
class PublicPerson:
    """One counted person: their public point and themes."""

    lon: float
    lat: float
    themes: tuple[str, ...]


def public_people(
    session: Session, *, themes: tuple[str, ...] = (), bbox: BBox | None = None
) -> list[PublicPerson]:
    """Counted people at their public points (optionally of some themes, inside a bbox)."""
    backend = backend_for(session.get_bind().dialect.name)
    stmt = (
        select(
            Asset.id,
            backend.x(PublicLocation.location),
            backend.y(PublicLocation.location),
            AssetTheme.theme_code,
        )
        .join(PublicLocation, PublicLocation.asset_id == Asset.id)
        .join(AssetTheme, AssetTheme.asset_id == Asset.id)
        .where(*_counted(utcnow()))
        .order_by(Asset.id)
    )
    if themes:
        stmt = stmt.where(AssetTheme.theme_code.in_(themes))
    if bbox:
        stmt = stmt.where(
            backend.in_bbox(
                "public_locations", PublicLocation.location, PublicLocation.asset_id, bbox
            )
        )
    people: dict[int, tuple[float, float, list[str]]] = {}
    for asset_id, x, y, theme in session.execute(stmt):
        people.setdefault(asset_id, (x, y, []))[2].append(theme)
    return [PublicPerson(x, y, tuple(sorted(t))) for x, y, t in people.values()]


def counts_by_area(
    session: Session, *, level: str, themes: tuple[str, ...] = (), bbox: BBox | None = None
) -> list[dict[str, Any]]:
    """People per area of the level and theme, by public location; under 5 shown as fewer."""
    people = public_people(session, themes=themes, bbox=bbox)
    area_of_square: dict[tuple[float, float], int | None] = {}
    counts: Counter[tuple[int, str]] = Counter()
    for person in people:
        square = (person.lon, person.lat)
        if square not in area_of_square:
            area_of_square[square] = areas_covering(session, *square).get(level)
        area_id = area_of_square[square]
        if area_id is not None:
            counts.update((area_id, theme) for theme in person.themes)
    areas = {
        a.id: a
        for a in session.execute(
            select(Area.id, Area.code, Area.name_en, Area.name_cy).where(
                Area.id.in_({area_id for area_id, _ in counts})
            )
        )
    }
    rows = [
        {
            "area_code": areas[area_id].code,
            "area_name": areas[area_id].name_en or areas[area_id].name_cy,
            "theme": theme,
            "people": shown_count(n),
            "shown_as": str(n) if shown_count(n) is not None else FEWER,
        }
        for (area_id, theme), n in counts.items()
    ]
    return sorted(rows, key=lambda r: (r["area_code"], r["theme"]))


def counts_near(
    session: Session, *, lon: float, lat: float, radius_m: float, themes: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """'N people near here offer THEME' within radius_m of a point, by public location."""
    people = public_people(session, themes=themes, bbox=radius_envelope(lon, lat, radius_m))
    per_theme: Counter[str] = Counter()
    if people:
        lons = np.array([p.lon for p in people])
        lats = np.array([p.lat for p in people])
        _, _, metres = GEOD.inv(np.full_like(lons, lon), np.full_like(lats, lat), lons, lats)
        for person, distance in zip(people, metres, strict=True):
            if distance <= radius_m:
                per_theme.update(t for t in person.themes if not themes or t in themes)
    labels = {t.code: t for t in session.scalars(select(Theme).where(Theme.code.in_(per_theme)))}
    rows = []
    for theme, n in sorted(per_theme.items()):
        label = labels[theme]
        shown = shown_count(n)
        amount = str(shown) if shown is not None else FEWER.capitalize()
        rows.append(
            {
                "theme": theme,
                "theme_label_en": label.label_en,
                "theme_label_cy": label.label_cy,
                "people": shown,
                "text": f"{amount} people near here offer {label.label_en.lower()}",
            }
        )
    return rows
