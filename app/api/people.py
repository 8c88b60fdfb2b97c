"""/api/v1/people: people who offer skills and time, as counts (k >= 5) for everybody; consent
records and lapsed-consent lists for connectors."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query

from app.api.access import PUBLIC, Editor
from app.api.deps import MAX_ID, BBoxDep, IfMatchDep, NearDep, SessionDep, expected_version
from app.errors import InvalidInput, error_responses
from app.models import LEVELS
from app.responses import JSONBody
from app.schemas.assets import THEME_CODE, AssetRead, asset_json
from app.schemas.people import ConsentIn, PeopleCounts, PeopleNearList
from app.services import assets as asset_service
from app.services import people
from app.services.themes import known_codes

router = APIRouter(tags=["people"])

Level = Literal[LEVELS]  # type: ignore[valid-type]
Themes = Annotated[
    list[Annotated[str, Query(max_length=40, pattern=THEME_CODE)]],
    Query(description="theme code; repeat for several (default: all)"),
]


def _themes(session: Any, theme: list[str]) -> tuple[str, ...]:
    unknown = sorted(set(theme) - known_codes(session, theme))
    if unknown:
        raise InvalidInput(("query", "theme"), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    return tuple(theme)


@router.get(
    "/api/v1/people/counts",
    response_model=PeopleCounts,
    summary="People per area and theme (counts only)",
    dependencies=[Depends(PUBLIC)],
)
def counts(
    session: SessionDep,
    bbox: BBoxDep,
    level: Level = "lsoa",
    theme: Themes = [],  # noqa: B006
) -> Any:
    """How many people offer each theme in each area, from the centre of their 1 km grid square
    (never their own point). Counts under 5 are `null` and shown as "fewer than 5"."""
    rows = people.counts_by_area(session, level=level, themes=_themes(session, theme), bbox=bbox)
    return JSONBody({"level": level, "method": people.COUNT_METHOD, "items": rows})


@router.get(
    "/api/v1/people/near",
    response_model=PeopleNearList,
    summary="People near a point, per theme (counts only)",
    dependencies=[Depends(PUBLIC)],
)
def near(session: SessionDep, near: NearDep, theme: Themes = []) -> Any:  # noqa: B006
    """ "N people near here offer THEME", from public (1 km square) locations; under 5 is
    "fewer than 5". Needs `near=lon,lat` (radius_m default 1000)."""
    if near is None:
        raise InvalidInput(("query", "near"), "give near=lon,lat")
    rows = people.counts_near(
        session,
        lon=near.lon,
        lat=near.lat,
        radius_m=near.radius_m,
        themes=_themes(session, theme),
    )
    return JSONBody({"radius_m": near.radius_m, "method": people.COUNT_METHOD, "items": rows})


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
    session.commit()
    record = asset_service.get_asset(session, viewer=viewer, asset_id=asset_id)
    return JSONBody(asset_json(record))
