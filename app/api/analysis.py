"""/api/v1/analysis: need beside assets (gaps, coverage) and the asset-based answer to a deficit."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from app.errors import error_responses
from app.formats.csv import csv_text
from app.formats.geojson import feature_collection
from app.http.access import PUBLIC
from app.http.deps import MAX_ID, Format, FormatDep, SessionDep
from app.http.responses import CSVBody, GeoJSONBody, JSONBody
from app.models import LEVELS
from app.schemas.areas import row_features
from app.schemas.assets import asset_json
from app.services.needs.analysis import GapParameters, coverage
from app.services.needs.matches import deficit_matches
from app.services.needs.planner import planner_gaps

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(tags=["analysis"], dependencies=[Depends(PUBLIC)])

ALTERNATIVES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/geo+json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}
Level = Annotated[str, Query(pattern="^(" + "|".join(LEVELS) + ")$")]
Distance = Annotated[float, Query(gt=0, le=50_000, description="metres, geodesic")]
Code = Annotated[str, Query(min_length=1, max_length=60)]


def _render(result: dict[str, Any], fmt: Format, columns: list[str]) -> Response:
    if fmt is Format.geojson:
        return GeoJSONBody(feature_collection(row_features(result.pop("items")), **result))
    if fmt is Format.csv:
        return CSVBody(csv_text(columns, result["items"]))
    return JSONBody(result)


@router.get(
    "/api/v1/analysis/gaps",
    responses={**ALTERNATIVES, **error_responses(404)},
    summary="Gap analysis",
)
def gaps(
    session: SessionDep,
    fmt: FormatDep,
    indicator: Code,
    theme: Code,
    level: Level = "lsoa",
    distance_m: Distance = 800,
    high_need_percentile: Annotated[
        float, Query(ge=0, le=100, description="need_percentile at or above which need is high")
    ] = 80,
    min_assets: Annotated[
        int, Query(ge=1, le=1000, description="assets within distance that count as many")
    ] = 1,
    reported_gaps_weight: Annotated[
        float,
        Query(
            ge=0,
            le=1,
            description="0 (off) to 1: raise need by residents' published gaps of the theme",
        ),
    ] = 0,
) -> Response:
    """One row per area: need (value, percentile; 100 = most need; decile, 1 = most need)
    beside published assets of the theme (in the area, within `distance_m` of its
    population-weighted centroid, per 1,000 residents) and a category: priority, strength,
    well_served or low_need. `deciles.scope` says whether deciles are national (the
    publisher's ranks, e.g. WIMD's 1,909 LSOAs) or within the areas shown. At a level without
    values of the indicator (MSOA, local authority), values are aggregated from the smallest
    level that has them, as `method` says (`aggregated_from`). The same read as /planner.
    JSON, `f=csv` or `f=geojson` (area polygons).

    `reported_gaps_weight` (off by default) weights areas by residents' published "missing
    here" gaps of the theme: each row gains `reported_gap_supports` (the published "me too"
    counts of those gaps in the area) and `weighted_need_percentile` = need_percentile +
    weight x (100 - need_percentile) x supports / the most supports of any area, and its
    category follows the weighted percentile (docs/gap-analysis.md)."""
    params = GapParameters(
        indicator, theme, level, distance_m, high_need_percentile, min_assets, reported_gaps_weight
    )
    result = planner_gaps(session, params, with_geometry=fmt is Format.geojson)
    columns = [
        "area_code", "area_name", "area_name_cy", "population", "need_value", "need_percentile",
        "need_decile", "assets_in_area", "assets_within_distance", "assets_per_1000", "category",
    ]  # fmt: skip
    if reported_gaps_weight > 0:
        columns += ["reported_gap_supports", "weighted_need_percentile"]
    return _render(result, fmt, columns)


@router.get(
    "/api/v1/analysis/coverage",
    responses={**ALTERNATIVES, **error_responses(404)},
    summary="Coverage",
)
def coverage_of_theme(
    session: SessionDep,
    fmt: FormatDep,
    theme: Code,
    distance_m: Distance = 800,
    level: Level = "lsoa",
) -> Response:
    """Share of the population whose area centroid is within `distance_m` of at least one
    published asset of the theme, overall and per area."""
    result = coverage(
        session,
        theme=theme,
        distance_m=distance_m,
        level=level,
        with_geometry=fmt is Format.geojson,
    )
    columns = [
        "area_code", "area_name", "area_name_cy", "population", "assets_within_distance", "covered",
    ]  # fmt: skip
    return _render(result, fmt, columns)


@router.get(
    "/api/v1/deficits/{deficit_id}/matches",
    responses=error_responses(404),
    summary="Assets that could meet a deficit",
    tags=["deficits"],
)
def matches(
    session: SessionDep,
    deficit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    distance_m: Distance = 2000,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Published assets whose themes relate to the deficit's theme, nearest first: the
    asset-based answer to a reported gap."""
    result = deficit_matches(session, deficit_id, distance_m=distance_m, limit=limit)
    result["items"] = [asset_json(r) for r in result["items"]]
    return JSONBody(result)
