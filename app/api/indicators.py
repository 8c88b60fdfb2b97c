"""/api/v1/indicators: need indicators (e.g. WIMD 2019) and their values per area."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from app.errors import InvalidInput, NotFound, error_responses
from app.http.access import PUBLIC
from app.http.deps import Format, FormatDep, SessionDep
from app.http.responses import CSVBody, JSONBody
from app.schemas.indicators import (
    INDICATOR_CODE,
    IndicatorList,
    IndicatorRead,
    IndicatorValueList,
    Level,
    indicator_json,
    indicators_csv,
    values_csv,
)
from app.services.assets.themes import known_codes
from app.services.needs import indicators as service
from app.services.needs.areas import get_area

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"], dependencies=[Depends(PUBLIC)])

IndicatorCode = Annotated[
    str, Path(pattern=INDICATOR_CODE, max_length=60, description="e.g. wimd2019_income_rank")
]
CSV_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
MAX_AREAS = 200


def _table(request: Request, fmt: Format) -> bool:
    """True for CSV; JSON otherwise. GeoJSON asked for by name is refused (there is no geometry)."""
    if fmt is Format.geojson and request.query_params.get("f") == "geojson":
        raise InvalidInput(("query", "f"), "use json or csv here (GeoJSON: /api/v1/analysis/gaps)")
    return fmt is Format.csv


@router.get(
    "",
    response_model=IndicatorList,
    responses=CSV_CONTENT,
    summary="Need indicators",
)
def list_indicators(
    request: Request,
    session: SessionDep,
    fmt: FormatDep,
    theme: Annotated[
        str | None, Query(max_length=40, description="only indicators that speak to this theme")
    ] = None,
) -> Any:
    """Every indicator with its metadata (labels in English and Welsh, unit, direction,
    source, year, licence), the themes it speaks to and how many areas have a value.

    `f=csv` for CSV.
    """
    if theme is not None and not known_codes(session, [theme]):
        raise InvalidInput(("query", "theme"), f"unknown theme {theme!r}; see /api/v1/themes")
    records = service.list_indicators(session, theme=theme)
    if _table(request, fmt):
        return CSVBody(indicators_csv(records))
    return JSONBody({"items": [indicator_json(r) for r in records]})


@router.get(
    "/{code}",
    response_model=IndicatorRead,
    responses=error_responses(404),
    summary="One indicator's metadata",
)
def get_indicator(session: SessionDep, code: IndicatorCode) -> Any:
    """What the indicator measures, which way is more need, its themes, source and licence."""
    return JSONBody(indicator_json(service.get_indicator(session, code)))


@router.get(
    "/{code}/values",
    response_model=IndicatorValueList,
    responses={**CSV_CONTENT, **error_responses(404)},
    summary="An indicator's values per area",
)
def indicator_values(
    request: Request,
    session: SessionDep,
    fmt: FormatDep,
    code: IndicatorCode,
    level: Annotated[Level | None, Query(description="only areas of this level")] = None,
    area: Annotated[
        list[Annotated[str, Query(max_length=40)]],
        Query(description="only these area codes; repeat for several"),
    ] = [],  # noqa: B006
) -> Any:
    """Each area's value with its need percentile and need decile, by area code.

    `need_percentile` (0-100, 100 = most need) honours the indicator's direction: the areas
    of one level that have a value are ranked from least to most need, tied values share
    their mid-rank, and percentile = 100 * (mid-rank - 1) / (number of areas - 1).
    `decile` = 11 - ceil(need_percentile / 10), 1-10: 1 is the tenth of areas with most
    need, as WIMD's deciles run. Both compare an area with all areas of its level, even when
    `area` picks a few. They are relative to the areas loaded, not the publisher's national deciles.
    `f=csv` for CSV.
    """
    if len(area) > MAX_AREAS:
        raise InvalidInput(("query", "area"), f"at most {MAX_AREAS} area codes")
    for area_code in area:
        try:
            get_area(session, area_code)
        except NotFound as exc:
            raise InvalidInput(("query", "area"), f"unknown area {area_code!r}") from exc
    indicator = service.get_indicator(session, code)
    rows = service.indicator_values(session, code, level=level, area_codes=area or None)
    if _table(request, fmt):
        return CSVBody(values_csv(code, rows))
    return JSONBody(
        {
            "indicator": indicator_json(indicator),
            "items": rows,
            "numberReturned": len(rows),
            "method": service.METHOD,
        }
    )
