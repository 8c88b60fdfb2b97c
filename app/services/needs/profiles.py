"""Area profiles: one area's needs, assets, nearest assets by theme, and reported gaps."""

from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.models import Area, Asset, AssetArea, AssetTheme, Indicator, IndicatorValue, Theme
from app.schemas.deficits import deficit_json
from app.services.assets.visibility import ANONYMOUS, visible_assets
from app.services.coproduction.gaps import SOURCE as RESIDENTS
from app.services.coproduction.published_gaps import supports_by_deficit
from app.services.coproduction.uses import area_use_counts
from app.services.needs.areas import get_area
from app.services.needs.deficits import deficits_near
from app.services.needs.indicators import (
    national_decile,
    need_decile,
    need_percentiles,
    ranked_among,
)
from app.services.people.disclosure import FEWER, METHOD, people_counts, people_level
from app.spatial import backend_of
from app.spatial.geometry import geometry_from_db

# Search radii for "nearest asset of each theme", widening until every theme is found.
NEAREST_RADII_M = (1_000.0, 5_000.0, 25_000.0, 100_000.0)


def _indicators(session: Session, area: Area) -> list[dict[str, Any]]:
    # Every indicator's values over the area's level in one query, grouped here (a query per
    # indicator cost more than the rest of the profile).
    of_level: dict[str, dict[int, float]] = {}
    for code, area_id, value in session.execute(
        select(IndicatorValue.indicator_code, IndicatorValue.area_id, IndicatorValue.value)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(Area.level == area.level)
    ):
        of_level.setdefault(code, {})[area_id] = value
    rows = []
    for indicator in session.scalars(select(Indicator).order_by(Indicator.code)):
        values = of_level.get(indicator.code, {})
        if area.id not in values:
            continue
        percentile = need_percentiles(values, higher_is_more_need=indicator.higher_is_more_need)[
            area.id
        ]
        # Rank among the areas held here: 1 = most need; ties share the better rank.
        rank = 1 + sum(1 for v in values.values() if _more_need(v, values[area.id], indicator))
        rows.append(
            {
                "code": indicator.code,
                "label_en": indicator.label_en,
                "label_cy": indicator.label_cy,
                "unit": indicator.unit,
                "higher_is_more_need": indicator.higher_is_more_need,
                "value": values[area.id],
                "rank": rank,
                "of": len(values),
                "need_percentile": round(percentile, 2),
                "need_decile": need_decile(percentile),
                "national_decile": _national_decile(indicator, values[area.id]),
            }
        )
    return rows


def _national_decile(indicator: Indicator, value: float) -> int | None:
    """The publisher's decile of a national rank (1 = most deprived); None for other values."""
    of = ranked_among(
        {"unit": indicator.unit, "higher_is_more_need": indicator.higher_is_more_need,
         "source": indicator.source}
    )  # fmt: skip
    return national_decile(value, of) if of else None


def _more_need(value: float, other: float, indicator: Indicator) -> bool:
    return value > other if indicator.higher_is_more_need else value < other


def _asset_counts(session: Session, area: Area) -> dict[str, Any]:
    public = visible_assets(ANONYMOUS)
    in_area = select(AssetArea.asset_id).where(AssetArea.area_id == area.id)
    by_kind = dict(
        session.execute(
            select(Asset.kind, func.count())
            .where(Asset.id.in_(in_area), public)
            .group_by(Asset.kind)
        ).all()
    )
    by_theme = dict(
        session.execute(
            select(AssetTheme.theme_code, func.count())
            .join(Asset, Asset.id == AssetTheme.asset_id)
            .where(Asset.id.in_(in_area), public)
            .group_by(AssetTheme.theme_code)
        ).all()
    )
    total = sum(by_kind.values())
    per_1000 = (
        (lambda n: round(n * 1000 / area.population, 3)) if area.population else (lambda n: None)
    )
    return {
        "total": total,
        "per_1000": per_1000(total),
        "by_kind": [
            {"kind": k, "count": n, "per_1000": per_1000(n)} for k, n in sorted(by_kind.items())
        ],
        "by_theme": [
            {"theme": t, "count": n, "per_1000": per_1000(n)} for t, n in sorted(by_theme.items())
        ],
    }


def nearest_by_theme(session: Session, lon: float, lat: float) -> dict[str, float | None]:
    """Geodesic metres from a point to the nearest public asset of each theme (None: > 100 km)."""
    backend = backend_of(session)
    themes = list(session.scalars(select(Theme.code).where(Theme.active).order_by(Theme.code)))
    found: dict[str, float | None] = {}
    for radius in NEAREST_RADII_M:
        missing = [t for t in themes if t not in found]
        if not missing:
            break
        distance = backend.distance_m(Asset.location, lon, lat)
        rows = session.execute(
            select(AssetTheme.theme_code, func.min(distance))
            .join(Asset, Asset.id == AssetTheme.asset_id)
            .where(
                AssetTheme.theme_code.in_(missing),
                visible_assets(ANONYMOUS),
                backend.within_m("assets", Asset.location, Asset.id, lon, lat, radius),
            )
            .group_by(AssetTheme.theme_code)
        )
        for theme, metres in rows:
            found[theme] = round(float(metres), 1)
    return {t: found.get(t) for t in themes}


def themes_without_assets(session: Session) -> list[str]:
    """The active themes of which no public asset is held anywhere (their nearest is "none")."""
    held = select(AssetTheme.theme_code).where(AssetTheme.public == true()).distinct()
    return list(
        session.scalars(
            select(Theme.code).where(Theme.active, Theme.code.not_in(held)).order_by(Theme.code)
        )
    )


def area_profile(session: Session, code: str, *, distance_m: float = 800.0) -> dict[str, Any]:
    """Everything a planner needs about one area, from what it has to what it lacks."""
    area = get_area(session, code)
    centroid = geometry_from_db(area.centroid)
    geom = geometry_from_db(area.geom)
    return {
        "area": {
            "code": area.code,
            "level": area.level,
            "name_en": area.name_en,
            "name_cy": area.name_cy,
            "population": area.population,
            "parent_code": area.parent_code,
            "centroid": {"type": "Point", "coordinates": [centroid.x, centroid.y]},
            "centroid_kind": area.centroid_kind,
        },
        "indicators": _indicators(session, area),
        "assets": _asset_counts(session, area),
        "nearest_asset_m": nearest_by_theme(session, centroid.x, centroid.y),
        # Themes with no public asset anywhere: their nearest is None because none is held.
        "themes_without_assets": themes_without_assets(session),
        "deficits": _deficits(session, centroid.x, centroid.y, distance_m, geom),
        "people": _people(session, area),
        "uses": _uses(session, area),
        "distance_m": distance_m,
    }


def _deficits(
    session: Session, lon: float, lat: float, distance_m: float, geom: Any
) -> list[dict[str, Any]]:
    """Open deficits in or near the area; those residents told us about also carry their
    published "me too" count (`supports`, None: fewer than 5)."""
    found = deficits_near(session, lon=lon, lat=lat, radius_m=distance_m, area_geom=geom)
    residents = supports_by_deficit(session, [d["id"] for d in found if d["source"] == RESIDENTS])
    rows = []
    for d in found:
        row = {**deficit_json(d), "in_area": d["in_area"]}
        if d["id"] in residents:
            gap = residents[d["id"]]
            row["supports"] = gap.supports
            row["supports_shown_as"] = gap.supports_shown_as
        rows.append(row)
    return rows


def _uses(session: Session, area: Area) -> dict[str, Any] | None:
    """How many times residents said "I use this" of the area's published public assets, as
    published (None: fewer than 5); only for areas of the people level (one fixed level, so
    nothing can be subtracted), else None."""
    if people_level(session) != area.level:
        return None
    count = area_use_counts(session, [area.id])[area.id].residents
    return {"residents": count, "shown_as": FEWER if count is None else str(count)}


def _people(session: Session, area: Area) -> dict[str, Any]:
    """People offering each theme here, as published (app/services/people/disclosure.py): counts
    exist only for areas of the people level; for other levels `by_theme` is empty."""
    level, rows = people_counts(session, area_codes=[area.code])
    counted = level == area.level
    return {
        "method": METHOD,
        "level": level,
        "by_theme": [
            {"theme": r.theme, "people": r.people, "shown_as": r.shown_as} for r in rows if counted
        ],
    }
