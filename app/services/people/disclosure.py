"""Disclosure control for people: the only place where a count of people becomes a number that
anybody may see. docs/disclosure-control.md explains the choice; in short:

1. **Fixed regions.** People are counted only for whole areas of one level, the *people level*:
   the finest level of areas held (LSOAs when they are loaded). Nobody can ask for a bbox, a
   radius or another level, so no two published regions overlap and there is no parent to
   subtract children from. "People near here" is the count of the area holding the point.
2. **Public places.** A person counts in the area holding the centre of their 1 km grid
   square (app/services/people/grid.py), never their own point.
3. **Cell-key perturbation** (as ONS did for Census 2021). Every person has a secret random
   record key (0-255, drawn once). A cell (area x theme) has the cell key: the sum of its
   people's record keys, modulo 256. The published value is the true count plus the noise
   PERTURBATION[cell key], between -2 and +2; 0 stays 0. The same people give the same answer
   every time (repeating a question averages nothing away); one person joining or leaving
   changes the cell key and so draws the noise afresh (a change is not a step of exactly 1).
4. **Suppression.** A perturbed value under 5 is published as "fewer than 5", with no number.
   0 and 1-4 look the same; a shown number is within 2 of the truth.

`people_counts` and `people_at` return only `PeopleCount`s, made by `publish` from a tally that
never leaves this module.
"""

import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import LEVELS, PERSON_KINDS, Area, Asset, AssetTheme, PublicLocation, Theme
from app.models.base import utcnow
from app.services.assets.themes import labels as theme_labels
from app.services.needs.areas import areas_covering
from app.services.needs.shapes import area_shapes, areas_state
from app.spatial import BBox, backend_of
from app.spatial.geometry import bounds_of

THRESHOLD = 5
MAX_NOISE = 2
KEYS = 256
FEWER = f"fewer than {THRESHOLD}"
# The published perturbation table: noise by cell key, -2..+2, each 51 or 52 keys in 256, so
# the noise averages 0 over cell keys. Public like ONS's ptable: it is the key that is secret.
PERTURBATION: tuple[int, ...] = tuple([-2] * 51 + [-1] * 51 + [0] * 52 + [1] * 51 + [2] * 51)
assert len(PERTURBATION) == KEYS

METHOD = (
    "People who offer their skills or time are counted for whole areas of one level only, at the "
    "centre of the 1 km grid square they live or meet in, never at their own address. Each count "
    "is perturbed by up to 2 (cell-key perturbation: the same people always give the same "
    f"answer) and a perturbed count under {THRESHOLD} is shown as '{FEWER}' (which includes 0). "
    "Only published records with current consent count."
)


def new_record_key() -> int:
    """A person's secret record key, drawn once when they are first saved."""
    return secrets.randbelow(KEYS)


def publish(count: int, key_sum: int) -> int | None:
    """The one rule that turns a true count of people (and the sum of their record keys) into
    what may be shown: the perturbed count, or None for fewer than THRESHOLD."""
    if count <= 0:
        return None
    perturbed = count + PERTURBATION[key_sum % KEYS]
    return perturbed if perturbed >= THRESHOLD else None


@dataclass(frozen=True)
class PeopleCount:
    """How many people offer a theme in an area, as it may be published (people None: fewer
    than THRESHOLD, zero included)."""

    area_code: str
    area_name_en: str | None
    area_name_cy: str | None
    theme: str
    people: int | None

    @property
    def shown_as(self) -> str:
        """The count in words: the number, or 'fewer than 5'."""
        return FEWER if self.people is None else str(self.people)


@dataclass(frozen=True)
class PlaceArea:
    """The area of the people level that holds a place (what "near here" means)."""

    code: str
    level: str
    name_en: str | None
    name_cy: str | None


def people_level(session: Session) -> str | None:
    """The level people are counted at: the finest level of areas held (None: no areas)."""
    held = set(session.scalars(select(Area.level).distinct()))
    return next((level for level in LEVELS if level in held), None)


@dataclass
class _Tally:
    count: int = 0
    key_sum: int = 0


@dataclass(frozen=True)
class _LevelArea:
    id: int
    code: str
    shape: BaseGeometry


def _area_of_squares(
    areas: list[_LevelArea], squares: list[tuple[float, float]]
) -> list[int | None]:
    """For each square's centre, the area holding it: the one with the lowest code where
    several do (a centre on a shared edge), as app/services/needs/areas.py places assets."""
    if not squares or not areas:
        return [None] * len(squares)
    tree = shapely.STRtree([a.shape for a in areas])
    points = shapely.points(np.array(squares, dtype=np.float64))
    square_index, area_index = tree.query(points, predicate="intersects")
    best: list[_LevelArea | None] = [None] * len(squares)
    for i, a in zip(square_index.tolist(), area_index.tolist(), strict=True):
        held = best[i]
        if held is None or areas[a].code < held.code:
            best[i] = areas[a]
    return [None if area is None else area.id for area in best]


def _tallies(
    session: Session,
    *,
    themes: tuple[str, ...],
    bbox: BBox | None,
    areas: list[_LevelArea],
) -> dict[tuple[int, str], _Tally]:
    """True counts and key sums per (area id, theme): private to this module.

    One query for the people, whatever their number: each distinct square's centre is placed
    among `areas` (every area of the level that may hold one) in memory, not by a query each.
    """
    backend = backend_of(session)
    stmt = (
        select(
            Asset.id,
            backend.x(PublicLocation.location),
            backend.y(PublicLocation.location),
            PublicLocation.record_key,
            AssetTheme.theme_code,
        )
        .join(PublicLocation, PublicLocation.asset_id == Asset.id)
        .join(AssetTheme, AssetTheme.asset_id == Asset.id)
        .where(
            Asset.kind.in_(PERSON_KINDS),
            Asset.status == "published",
            Asset.consent_expires_at > utcnow(),
        )
    )
    if themes:
        stmt = stmt.where(AssetTheme.theme_code.in_(themes))
    if bbox is not None:
        stmt = stmt.where(
            backend.in_bbox(
                "public_locations", PublicLocation.location, PublicLocation.asset_id, bbox
            )
        )
    rows = session.execute(stmt).all()
    squares = list(dict.fromkeys((x, y) for _id, x, y, _key, _theme in rows))
    area_of_square = dict(zip(squares, _area_of_squares(areas, squares), strict=True))
    tallies: dict[tuple[int, str], _Tally] = {}
    for _id, x, y, key, theme in rows:
        area_id = area_of_square[(x, y)]
        if area_id is None:
            continue
        tally = tallies.setdefault((area_id, theme), _Tally())
        tally.count += 1
        tally.key_sum += key
    return tallies


def _theme_codes(session: Session, themes: Iterable[str]) -> list[str]:
    wanted = tuple(themes)
    stmt = select(Theme.code).where(Theme.active).order_by(Theme.code)
    if wanted:
        stmt = select(Theme.code).where(Theme.code.in_(wanted)).order_by(Theme.code)
    return list(session.scalars(stmt))


def people_counts(
    session: Session, *, themes: Iterable[str] = (), area_codes: Iterable[str] = ()
) -> tuple[str | None, list[PeopleCount]]:
    """The people level and, for every area of it (or those of `area_codes`) and every theme
    (or those of `themes`), the published count: a row even where nobody is counted."""
    level = people_level(session)
    if level is None:
        return None, []
    return level, _counts(session, level, themes=themes, area_codes=area_codes)


def _counts(
    session: Session, level: str, *, themes: Iterable[str], area_codes: Iterable[str]
) -> list[PeopleCount]:
    codes = tuple(area_codes)
    stmt = select(Area.id, Area.code, Area.name_en, Area.name_cy).where(Area.level == level)
    if codes:
        stmt = stmt.where(Area.code.in_(codes))
    areas = list(session.execute(stmt.order_by(Area.code)))
    if not areas:
        return []
    theme_codes = _theme_codes(session, themes)
    bbox = None
    candidates = [(a.id, a.code) for a in areas]
    state = areas_state(session)
    if codes:  # only people inside the areas' bounds can be counted in them
        bbox = bounds_of(list(area_shapes(session, [a.id for a in areas], state=state).values()))
        # A neighbour with a lower code takes a square on the shared edge: it competes too.
        candidates = [
            (area_id, code)
            for area_id, code in session.execute(
                select(Area.id, Area.code).where(
                    Area.level == level,
                    backend_of(session).in_bbox("areas", Area.geom, Area.id, bbox),
                )
            )
        ]
    shapes = area_shapes(session, [area_id for area_id, _code in candidates], state=state)
    level_areas = [
        _LevelArea(area_id, code, shapes[area_id])
        for area_id, code in candidates
        if area_id in shapes and shapes[area_id] is not None
    ]
    tallies = _tallies(session, themes=tuple(theme_codes), bbox=bbox, areas=level_areas)
    empty = _Tally()
    return [
        PeopleCount(
            area_code=area.code,
            area_name_en=area.name_en,
            area_name_cy=area.name_cy,
            theme=theme,
            people=publish(tally.count, tally.key_sum),
        )
        for area in areas
        for theme in theme_codes
        for tally in [tallies.get((area.id, theme), empty)]
    ]


def place_area(session: Session, lon: float, lat: float) -> PlaceArea | None:
    """The area of the people level that holds a point (None: no area there)."""
    level = people_level(session)
    if level is None:
        return None
    area_id = areas_covering(session, lon, lat).get(level)
    if area_id is None:
        return None
    area = session.get(Area, area_id)
    assert area is not None
    return PlaceArea(area.code, area.level, area.name_en, area.name_cy)


def people_at(
    session: Session, lon: float, lat: float, *, themes: Iterable[str] = ()
) -> tuple[PlaceArea | None, list[PeopleCount]]:
    """'People near here': the area of the people level holding the point, and its published
    counts per theme (no area there: None and no counts)."""
    area = place_area(session, lon, lat)
    if area is None:
        return None, []
    return area, _counts(session, area.level, themes=themes, area_codes=[area.code])


def near_answer(
    session: Session, lon: float, lat: float, *, themes: Iterable[str] = ()
) -> dict[str, Any]:
    """ "People near here" as the API and pages give it: the area holding the point (None if
    none does), the method, and per theme the published count with a sentence."""
    area, rows = people_at(session, lon, lat, themes=themes)
    names = theme_labels(session, [r.theme for r in rows])
    items = []
    for row in rows:
        label_en, label_cy = names[row.theme]
        amount = str(row.people) if row.people is not None else FEWER.capitalize()
        items.append(
            {
                "theme": row.theme,
                "theme_label_en": label_en,
                "theme_label_cy": label_cy,
                "people": row.people,
                "text": f"{amount} people near here offer {label_en.lower()}",
            }
        )
    return {"area": None if area is None else asdict(area), "method": METHOD, "items": items}
