"""Need indicators: reading them, their values per area, and ranking need.

Imports live in `app.services.imports.indicators` and are re-exported here, so callers (CLI,
demo) find the whole feature under one name.
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Area, Indicator, IndicatorTheme, IndicatorValue
from app.services.imports.indicators import (
    METADATA_FIELDS,
    IndicatorImportReport,
    IndicatorProblem,
    import_indicators,
    read_meta,
)

__all__ = [
    "METHOD",
    "NATIONAL_RANKINGS",
    "IndicatorImportReport",
    "IndicatorProblem",
    "get_indicator",
    "import_indicators",
    "indicator_values",
    "list_indicators",
    "national_decile",
    "need_decile",
    "need_percentiles",
    "ranked_among",
    "read_meta",
]

K = TypeVar("K", bound=Hashable)
METHOD = (
    "need_percentile ranks the areas of one level that have a value, from least need (0) to "
    "most need (100), honouring the indicator's direction; tied values share their mid-rank: "
    "100 * (mid-rank - 1) / (areas - 1). decile = 11 - ceil(need_percentile / 10), from 1 to 10 "
    "(1 = the 10% of these areas with most need, as WIMD's deciles run). These are relative to "
    "the areas imported, not to the publisher's own national deciles."
)


# ---- need ranking ------------------------------------------------------------------------------


def need_percentiles(values: Mapping[K, float], higher_is_more_need: bool) -> dict[K, float]:
    """Each area's need percentile among the given areas: 0 = least need, 100 = most need.

    Areas are ordered from least to most need (by value when a higher value is more need,
    else by minus the value). Each gets its rank r = 1..n; tied values all get the mean of
    the ranks they span (mid-rank). percentile = 100 * (r - 1) / (n - 1), so the area with
    most need gets 100 and the one with least need 0. A single area gets 50.
    """
    n = len(values)
    if n == 1:
        return {key: 50.0 for key in values}
    sign = 1.0 if higher_is_more_need else -1.0
    ordered = sorted(values.items(), key=lambda item: sign * item[1])
    result: dict[K, float] = {}
    start = 0
    while start < n:
        end = start
        while end + 1 < n and ordered[end + 1][1] == ordered[start][1]:
            end += 1
        percentile = 100.0 * ((start + end) / 2) / (n - 1)  # zero-based mid-rank
        for key, _value in ordered[start : end + 1]:
            result[key] = percentile
        start = end + 1
    return result


def need_decile(percentile: float) -> int:
    """The need decile of a need percentile among the areas compared, as WIMD's deciles run:
    1 = the tenth with most need, 10 = the tenth with least (11 - ceil(p / 10), within 1-10)."""
    return 11 - min(10, max(1, math.ceil(percentile / 10)))


# Published rankings of every small area of a nation, by the indicator's source: an indicator of
# unit "rank" (lower = more need) from one of these holds national ranks, so its deciles can be
# the publisher's own (WIMD: ranks 1-1,909 of all Welsh LSOAs, decile = ceil(rank * 10 / 1,909)).
NATIONAL_RANKINGS = {"Welsh Government, Welsh Index of Multiple Deprivation 2019": 1909}


def ranked_among(record: Mapping[str, Any]) -> int | None:
    """How many areas an indicator's values rank nationally (None: not a national ranking)."""
    if record.get("unit") != "rank" or record.get("higher_is_more_need"):
        return None
    return NATIONAL_RANKINGS.get(str(record.get("source") or ""))


def national_decile(rank: float, of: int) -> int:
    """The national decile of a rank among `of` areas: 1 = the most deprived tenth."""
    return min(10, max(1, math.ceil(rank * 10 / of)))


# ---- reads -------------------------------------------------------------------------------------


def _records(session: Session, indicators: list[Indicator]) -> list[dict[str, Any]]:
    codes = [i.code for i in indicators]
    themes: dict[str, list[str]] = defaultdict(list)
    for code, theme in session.execute(
        select(IndicatorTheme.indicator_code, IndicatorTheme.theme_code)
        .where(IndicatorTheme.indicator_code.in_(codes))
        .order_by(IndicatorTheme.theme_code)
    ):
        themes[code].append(theme)
    count_stmt = (
        select(IndicatorValue.indicator_code, func.count())
        .where(IndicatorValue.indicator_code.in_(codes))
        .group_by(IndicatorValue.indicator_code)
    )
    counts: dict[str, int] = {code: n for code, n in session.execute(count_stmt)}
    return [
        {
            "code": i.code,
            **{name: getattr(i, name) for name in METADATA_FIELDS},
            "themes": themes[i.code],
            "value_count": counts.get(i.code, 0),
        }
        for i in indicators
    ]


def list_indicators(session: Session, *, theme: str | None = None) -> list[dict[str, Any]]:
    """Indicators by code with their metadata, themes and value count; optionally of one theme."""
    stmt = select(Indicator).order_by(Indicator.code)
    if theme:
        stmt = stmt.where(
            Indicator.code.in_(
                select(IndicatorTheme.indicator_code).where(IndicatorTheme.theme_code == theme)
            )
        )
    return _records(session, list(session.scalars(stmt)))


def get_indicator(session: Session, code: str) -> dict[str, Any]:
    """One indicator's record (metadata, themes, value count); NotFound otherwise."""
    indicator = session.get(Indicator, code)
    if indicator is None:
        raise NotFound(f"indicator {code!r} not found; see /api/v1/indicators")
    return _records(session, [indicator])[0]


def indicator_values(
    session: Session,
    code: str,
    *,
    level: str | None = None,
    area_codes: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Values of an indicator per area (by area code), each with its need percentile and decile.

    Percentiles compare an area with every area of the same level that has a value, whichever
    areas are asked for; see `need_percentiles`.
    """
    record = get_indicator(session, code)
    stmt = (
        select(Area.id, Area.code, Area.name_en, Area.name_cy, Area.level, IndicatorValue.value)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(IndicatorValue.indicator_code == code)
    )
    if level:
        stmt = stmt.where(Area.level == level)
    rows = session.execute(stmt).all()
    by_level: dict[str, dict[int, float]] = defaultdict(dict)
    for row in rows:
        by_level[row.level][row.id] = row.value
    percentiles: dict[int, float] = {}
    for values in by_level.values():
        percentiles.update(need_percentiles(values, record["higher_is_more_need"]))
    wanted = set(area_codes) if area_codes else None
    return [
        {
            "area_code": row.code,
            "area_name": row.name_en or row.name_cy,
            "area_name_cy": row.name_cy,
            "level": row.level,
            "value": row.value,
            "need_percentile": percentiles[row.id],
            "decile": need_decile(percentiles[row.id]),
        }
        for row in sorted(rows, key=lambda r: r.code)
        if wanted is None or row.code in wanted
    ]
