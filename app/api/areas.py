"""/api/v1/areas: small areas (LSOAs and others) and their profiles."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from app.errors import error_responses
from app.http.access import PUBLIC
from app.http.deps import BBoxDep, Format, FormatDep, SessionDep, SettingsDep
from app.http.listing import list_response
from app.http.responses import GeoJSONBody, JSONBody
from app.models import LEVELS
from app.schemas.areas import AreaList, AreaRead, area_feature, area_json
from app.schemas.codes import AREA_CODE_MAX, CODE
from app.services.needs import areas as service
from app.services.needs.profiles import area_profile

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(prefix="/api/v1/areas", tags=["areas"], dependencies=[Depends(PUBLIC)])

AreaCode = Annotated[str, Path(min_length=1, max_length=AREA_CODE_MAX, pattern=CODE)]
GEOJSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}
}


@router.get("", response_model=AreaList, responses=GEOJSON, summary="Areas")
def list_areas(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    fmt: FormatDep,
    bbox: BBoxDep,
    level: Annotated[str | None, Query(pattern="^(" + "|".join(LEVELS) + ")$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$", description="from `next`")
    ] = None,
) -> Response:
    """Areas by code, optionally of one level and within a bbox; GeoJSON carries polygons."""
    found = service.list_areas(session, level=level, bbox=bbox, limit=limit, after=cursor)
    page, more = found[:limit], len(found) > limit
    return list_response(
        request,
        settings,
        fmt,
        page,
        page[-1].code if more else None,
        to_json=area_json,
        to_feature=area_feature,
        self_link=False,
    )


@router.get(
    "/{code}",
    response_model=AreaRead,
    responses={**GEOJSON, **error_responses(404)},
    summary="One area",
)
def get_area(code: AreaCode, session: SessionDep, fmt: FormatDep) -> Response:
    """One area by its code (e.g. W01001694); `f=geojson` for its polygon."""
    area = service.get_area(session, code)
    if fmt is Format.geojson:
        return GeoJSONBody(area_feature(area))
    return JSONBody(area_json(area))


@router.get(
    "/{code}/profile",
    responses=error_responses(404),
    summary="Area profile",
)
def profile(
    code: AreaCode,
    session: SessionDep,
    distance_m: Annotated[float, Query(gt=0, le=50_000, description="for deficits near it")] = 800,
) -> Any:
    """Need indicators (value, rank, percentile, decile), assets by kind and theme (in the area
    and per 1,000 residents), distance from the population-weighted centroid to the nearest asset
    of each theme, and reported deficits in or near the area."""
    return JSONBody(area_profile(session, code, distance_m=distance_m))
