"""/api/v1/people: people who offer skills and time, as published counts of fixed areas (see
app/services/people/disclosure.py) for everybody; consent records and lapsed-consent lists for
connectors."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from app.errors import InvalidInput, error_responses
from app.http.access import PUBLIC, Editor
from app.http.deps import MAX_ID, IfMatchDep, SessionDep, expected_version, parse_point
from app.http.responses import JSONBody
from app.schemas.assets import THEME_CODE, AssetRead, asset_json
from app.schemas.people import ConsentIn, PeopleCounts, PeopleNearList
from app.services.assets import records as asset_service
from app.services.assets.themes import known_codes
from app.services.people import consents as people
from app.services.people import disclosure

router = APIRouter(tags=["people"])

Themes = Annotated[
    list[Annotated[str, Query(max_length=40, pattern=THEME_CODE)]],
    Query(description="theme code; repeat for several (default: all)"),
]
AreaCodes = Annotated[
    list[Annotated[str, Query(min_length=1, max_length=64)]],
    Query(description="area code of the people level; repeat for several (default: all)"),
]
# Shapes a caller could choose: refused, so that no two published regions differ by a little.
CHOSEN_SHAPES = ("bbox", "radius_m", "distance_m")
FIXED_REGIONS = (
    "people are counted only for whole areas of one level (see `level` in "
    "/api/v1/people/counts), never for a shape you choose"
)


def _refuse_chosen_shapes(request: Request) -> None:
    for name in CHOSEN_SHAPES:
        if name in request.query_params:
            raise InvalidInput(("query", name), FIXED_REGIONS)


def _themes(session: Any, theme: list[str]) -> tuple[str, ...]:
    unknown = sorted(set(theme) - known_codes(session, theme))
    if unknown:
        raise InvalidInput(("query", "theme"), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    return tuple(theme)


def _level(session: Any, level: str | None) -> None:
    counted = disclosure.people_level(session)
    if level is not None and level != counted:
        raise InvalidInput(
            ("query", "level"), f"people are counted per {counted or 'area'} only: {FIXED_REGIONS}"
        )


@router.get(
    "/api/v1/people/counts",
    response_model=PeopleCounts,
    summary="People per area and theme (published counts only)",
    dependencies=[Depends(PUBLIC), Depends(_refuse_chosen_shapes)],
)
def counts(
    session: SessionDep,
    theme: Themes = [],  # noqa: B006
    area: AreaCodes = [],  # noqa: B006
    level: Annotated[
        str | None, Query(max_length=20, description="must be the people level if given")
    ] = None,
) -> Any:
    """How many people offer each theme in each area of the people level (the finest level
    of areas held), every area and theme listed. Counts are perturbed by up to 2, the same
    every time for the same people; under 5 (zero included) `people` is null and `shown_as`
    is "fewer than 5". There is no bbox or radius: counts exist only for whole areas."""
    _level(session, level)
    counted, rows = disclosure.people_counts(
        session, themes=_themes(session, theme), area_codes=area
    )
    items = [
        {
            "area_code": r.area_code,
            "area_name": r.area_name_en or r.area_name_cy,
            "area_name_cy": r.area_name_cy,
            "theme": r.theme,
            "people": r.people,
            "shown_as": r.shown_as,
        }
        for r in rows
    ]
    return JSONBody({"level": counted, "method": disclosure.METHOD, "items": items})


@router.get(
    "/api/v1/people/near",
    response_model=PeopleNearList,
    summary="People near a point: the published counts of the area holding it",
    dependencies=[Depends(PUBLIC), Depends(_refuse_chosen_shapes)],
)
def near(
    session: SessionDep,
    near: Annotated[str, Query(max_length=100, description="lon,lat")],
    theme: Themes = [],  # noqa: B006
) -> Any:
    """ "N people near here offer THEME", where "here" is the area of the people level that
    holds the point, named in `area` (null, with no items, where no area holds it). The
    counts are those of /api/v1/people/counts for that area."""
    lon, lat = parse_point("near", near)
    return JSONBody(disclosure.near_answer(session, lon, lat, themes=_themes(session, theme)))


@router.get(
    "/api/v1/people/lapsed-consents",
    response_model=list[AssetRead],
    responses=error_responses(401, 403),
    summary="People whose consent has lapsed (your patch)",
)
def lapsed(
    session: SessionDep,
    viewer: Editor,
    within_days: Annotated[int, Query(ge=0, le=366, description="also those lapsing soon")] = 0,
) -> Any:
    """Person-linked records of your patch whose consent has lapsed (they were unpublished) or
    lapses within `within_days`: ask them again and record new consent."""
    found = people.lapsed_consents(session, viewer=viewer, within_days=within_days)
    records = [asset_service.get_asset(session, viewer=viewer, asset_id=a.id) for a in found]
    return JSONBody([asset_json(r) for r in records])


@router.post(
    "/api/v1/assets/{asset_id}/consents",
    response_model=AssetRead,
    responses=error_responses(401, 403, 404, 412, 428),
    summary="Record new consent for a person",
)
def record_consent(
    asset_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    viewer: Editor,
    if_match: IfMatchDep,
    body: Annotated[ConsentIn, Body()],
) -> Any:
    """Record a person's renewed consent (a skill or volunteer record of your patch)."""
    asset_service.record_new_consent(
        session,
        viewer=viewer,
        asset_id=asset_id,
        expected_version=expected_version(if_match, asset_id),
        consent=body,
    )
    # Read inside the transaction, then commit: nothing after a commit can fail the request.
    record = asset_service.get_asset(session, viewer=viewer, asset_id=asset_id)
    session.commit()
    return JSONBody(asset_json(record))
