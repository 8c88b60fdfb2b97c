"""Finding places by the names people use, in English or Welsh, accents and case folded; the
centre of an outcode from the postcodes held; and the place a small area is near.

Names are compared by a key: folded (app/schemas/assets.py fold), letters and digits only, so
'Pen-y-lan', 'pen y lan' and 'Penylan' are one key and 'Tŷ Gwyn' is 'tygwyn'. A prefix search
is a key range, which the keys' plain indexes answer on both backends (migration 0006).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.models import Area, GazetteerPlace, Postcode
from app.schemas.assets import fold
from app.spatial import BBox, backend_of
from app.spatial.geometry import geometry_from_db

# Above every character: key <= anything starting with the prefix < prefix + TOP.
TOP = chr(0x10FFFF)
MAX_KEY = 200
# A prefix shorter than this matches too much to mean a place ("ca"); a whole name may be short.
MIN_PREFIX = 3
MATCHES = 10
# Bigger, better-known kinds of place first when names match equally well.
TYPE_ORDER = {
    "city": 0,
    "town": 1,
    "suburban area": 2,
    "village": 3,
    "other settlement": 4,
    "hamlet": 5,
    "named area": 6,
}
OUTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def place_key(text: str) -> str:
    """The search key of a name: folded, letters and digits only ('Pen-y-lan' -> 'penylan')."""
    return "".join(c for c in fold(text) if c.isalnum())[:MAX_KEY]


@dataclass(frozen=True)
class PlaceMatch:
    """A gazetteer place: its names, type and point; `exact` when a whole name matched."""

    id: int
    name: str
    name_cy: str | None
    place_type: str
    lon: float
    lat: float
    exact: bool = False

    def name_in(self, lang: str) -> str:
        """The place's name in a language (its only name when it has no Welsh one)."""
        return (self.name_cy or self.name) if lang == "cy" else self.name


def _columns(session: Session) -> list[Any]:
    backend = backend_of(session)
    return [
        GazetteerPlace.id,
        GazetteerPlace.name,
        GazetteerPlace.name_cy,
        GazetteerPlace.place_type,
        backend.x(GazetteerPlace.location).label("lon"),
        backend.y(GazetteerPlace.location).label("lat"),
    ]


def _match(row: Any, exact: bool = False) -> PlaceMatch:
    return PlaceMatch(row.id, row.name, row.name_cy, row.place_type, row.lon, row.lat, exact)


def _order(match: PlaceMatch) -> tuple[int, int, int, str, int]:
    return (
        0 if match.exact else 1,
        TYPE_ORDER.get(match.place_type.lower(), len(TYPE_ORDER)),
        len(match.name),
        match.name,
        match.id,
    )


def find_places(session: Session, text: str, limit: int = MATCHES) -> list[PlaceMatch]:
    """Places whose English or Welsh name is the text, or starts with it (at least 3 letters),
    best first: whole names, then bigger kinds of place, then shorter names; at most `limit`."""
    key = place_key(text)
    if not key:
        return []
    key_columns = (GazetteerPlace.name_key, GazetteerPlace.name_cy_key)
    exact = or_(*(column == key for column in key_columns))
    found = {
        row.id: _match(row, exact=True)
        for row in session.execute(select(*_columns(session)).where(exact).limit(limit))
    }
    if len(key) >= MIN_PREFIX and len(found) < limit:
        starts = or_(*(and_(column >= key, column < key + TOP) for column in key_columns))
        rows = session.execute(
            select(*_columns(session)).where(starts).order_by(GazetteerPlace.id).limit(limit * 5)
        )
        for row in rows:
            found.setdefault(row.id, _match(row))
    return sorted(found.values(), key=_order)[:limit]


def outcode_of(text: str) -> str | None:
    """The outcode the text is ('cf10', 'CF10' -> 'CF10'), or None when it is not one."""
    compact = re.sub(r"\s+", "", text).upper()
    return compact if OUTCODE.match(compact) else None


@dataclass(frozen=True)
class OutcodeCentre:
    """The centre (mean point) of an outcode's postcodes held, and how many there are."""

    outcode: str
    lon: float
    lat: float
    postcodes: int


def outcode_centre(session: Session, outcode: str) -> OutcodeCentre | None:
    """The mean point of the held postcodes of an outcode ('CF10'); None when none are held.

    The mean of lon/lat is near enough the centre over the few kilometres of an outcode."""
    if not OUTCODE.match(outcode):
        return None
    backend = backend_of(session)
    # The outcode matched OUTCODE: it holds no LIKE wildcard. Stored postcodes have one space.
    row = session.execute(
        select(
            func.avg(backend.x(Postcode.location)),
            func.avg(backend.y(Postcode.location)),
            func.count(),
        ).where(Postcode.postcode.like(f"{outcode} %"))
    ).one()
    if not row[2]:
        return None
    return OutcodeCentre(outcode, float(row[0]), float(row[1]), int(row[2]))


def places_in_areas(session: Session, codes: Iterable[str]) -> dict[str, PlaceMatch]:
    """For each area (by code), the gazetteer place inside it nearest its centroid (bigger
    kinds of place first when two are as near), when one lies inside it."""
    codes = list(dict.fromkeys(codes))
    if not codes:
        return {}
    areas = session.execute(
        select(Area.code, Area.geom, Area.centroid).where(Area.code.in_(codes))
    ).all()
    backend = backend_of(session)
    named: dict[str, PlaceMatch] = {}
    for code, geom, centroid in areas:
        shape = geometry_from_db(geom)
        centre = geometry_from_db(centroid)
        box = BBox(*shape.bounds)
        rows = session.execute(
            select(*_columns(session)).where(
                backend.in_bbox("places", GazetteerPlace.location, GazetteerPlace.id, box)
            )
        )
        inside = [
            PlaceMatch(*row) for row in rows if shapely.intersects_xy(shape, row.lon, row.lat)
        ]
        if inside:
            named[code] = min(
                inside,
                key=lambda p: (
                    (p.lon - centre.x) ** 2 + (p.lat - centre.y) ** 2,
                    TYPE_ORDER.get(p.place_type.lower(), len(TYPE_ORDER)),
                    p.id,
                ),
            )
    return named
