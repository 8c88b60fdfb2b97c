"""The planner's one read path: the choices (indicator, theme, level and the analysis'
parameters) with their defaults, the gap analysis of the choice at any level (`planner_gaps`,
which /api/v1/analysis/gaps answers from too), the coverage of the theme, the published people
counts of the areas, the open reported gaps of the theme around them, and the sources to cite.
Pages only put it into words."""

from dataclasses import asdict, dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.models import Area, Asset, AssetTheme, Indicator, IndicatorValue
from app.schemas.deficits import DeficitRecord
from app.services.assets.themes import list_themes
from app.services.assets.visibility import ANONYMOUS
from app.services.coproduction.gaps import SOURCE as RESIDENTS
from app.services.coproduction.published_gaps import supports_by_deficit
from app.services.coproduction.uses import area_use_counts
from app.services.needs.analysis import (
    CATEGORIES,
    GapParameters,
    apply_reported_gaps,
    category,
    check_parameters,
    counts_in_areas,
    counts_near,
    coverage,
    gap_analysis,
    gap_supports,
    method_note,
    reported_gaps_note,
)
from app.services.needs.deficits import list_deficits
from app.services.needs.indicators import (
    list_indicators,
    national_decile,
    need_decile,
    need_percentiles,
    ranked_among,
)
from app.services.needs.zones import UNION_LEVEL, aggregation_note, zones
from app.services.people.disclosure import people_counts
from app.spatial.geometry import bounds_of
from app.vocabularies import LEVELS

MAX_GAPS = 500


@dataclass(frozen=True)
class Source:
    """Data the planner shows, where it is from and under which licence (None: not recorded)."""

    what: str  # indicator, areas or assets
    name: str
    licence: str | None = None
    year: int | None = None


@dataclass
class PlannerData:
    """What the planner shows for a choice. `unknown` lists the choices (field names) that
    are not held; the chosen values are the asked ones or the defaults."""

    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    theme_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # code: (en, cy)
    unknown: list[str] = field(default_factory=list)
    indicator: str | None = None
    theme: str | None = None
    level: str | None = None
    parameters: GapParameters | None = None
    levels_held: list[str] = field(default_factory=list)
    gaps: dict[str, Any] | None = None  # planner_gaps(with_geometry=True), when shown
    coverage: dict[str, Any] | None = None  # coverage of the theme, without its rows
    people_level: str | None = None
    people: dict[str, int | None] = field(default_factory=dict)  # area code: published count
    deficits: list[DeficitRecord] = field(default_factory=list)
    more_deficits: bool = False
    # Deficits residents told us about (by deficit id): their published "me too" count.
    gap_supports: dict[int, int | None] = field(default_factory=dict)
    # Area code: published count of residents' "I use this" marks on its public assets (only
    # at the people level, like people counts: one fixed level, nothing to subtract).
    uses: dict[str, int | None] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)

    @property
    def people_counted(self) -> bool:
        """Whether people are counted at the chosen level (else the map shows none)."""
        return self.people_level is not None and self.people_level == self.level


def _default_theme(record: dict[str, Any], themes: dict[str, tuple[str, str]]) -> str | None:
    return next((t for t in record["themes"] if t in themes), next(iter(themes), None))


def value_levels(session: Session, indicator: str) -> list[str]:
    """The levels at which an indicator has values, smallest first."""
    held = set(
        session.scalars(
            select(Area.level)
            .distinct()
            .join(IndicatorValue, IndicatorValue.area_id == Area.id)
            .where(IndicatorValue.indicator_code == indicator)
        )
    )
    return [level for level in LEVELS if level in held]


def planner_levels(session: Session, indicator: str) -> list[str]:
    """The levels the planner can show an indicator at: where it has values, and the bigger
    levels its smallest level aggregates to (areas held there; always the local authority)."""
    direct = value_levels(session, indicator)
    if not direct:
        return []
    held = set(session.scalars(select(Area.level).distinct()))
    bigger = LEVELS[LEVELS.index(direct[0]) + 1 :]
    return [
        level
        for level in LEVELS
        if level in direct or (level in bigger and (level in held or level == UNION_LEVEL))
        if level != "custom" or level in direct
    ]


def planner_gaps(
    session: Session, p: GapParameters, *, with_geometry: bool = False
) -> dict[str, Any]:
    """The gap analysis of `p` (analysis.gap_analysis) at any level the planner offers: at a
    level without values of the indicator, aggregated from its smallest level (zones.py). Each
    row also has its need decile, 1 = most need: national (`deciles.scope`) where the values are
    a national ranking (WIMD's published ranks), else within the areas shown."""
    indicator, _theme = check_parameters(session, p)
    direct = value_levels(session, p.indicator)
    if p.level in direct or not direct:
        result = gap_analysis(session, p, with_geometry=with_geometry)
        record = {"unit": indicator.unit, "higher_is_more_need": indicator.higher_is_more_need,
                  "source": indicator.source}  # fmt: skip
        of = ranked_among(record)
        for row in result["items"]:
            if of:
                row["need_decile"] = national_decile(row["need_value"], of)
            else:
                row["need_decile"] = need_decile(row["need_percentile"])
        result["deciles"] = {"scope": "national" if of else "shown", "of": of}
        result["aggregated_from"] = None
        return result
    return _aggregated(session, p, indicator, direct[0], with_geometry)


def _aggregated(
    session: Session, p: GapParameters, indicator: Indicator, base: str, with_geometry: bool
) -> dict[str, Any]:
    theme = check_parameters(session, p)[1]
    found = zones(session, indicator, base=base, level=p.level, with_geometry=with_geometry)
    more_need = False if indicator.unit == "rank" else indicator.higher_is_more_need
    percentiles = need_percentiles({z.code: z.value for z in found}, higher_is_more_need=more_need)
    in_small = counts_in_areas(session, level=base, theme=p.theme)
    near = counts_near(
        session, [(z.code, z.lon, z.lat) for z in found], theme=p.theme, distance_m=p.distance_m
    )
    rows = []
    for z in found:
        count = sum(in_small.get(m, 0) for m in z.members)
        percentile = percentiles[z.code]
        row = {
            "area_code": z.code,
            "area_name": z.name_en or z.name_cy,
            "area_name_cy": z.name_cy,
            "population": z.population,
            "need_value": round(z.value, 4),
            "need_percentile": round(percentile, 2),
            "need_decile": need_decile(percentile),
            "most_deprived_10pc_share": z.most_deprived_share,
            "assets_in_area": count,
            "assets_within_distance": near.get(z.code, 0),
            "assets_per_1000": round(count * 1000 / z.population, 3) if z.population else None,
            "category": category(percentile, near.get(z.code, 0), p),
        }
        if with_geometry:
            row["geometry"] = z.geometry
        rows.append(row)
    if p.reported_gaps_weight > 0:
        small = gap_supports(session, theme=p.theme, level=base)
        apply_reported_gaps(rows, [sum(small.get(m, 0) for m in z.members) for z in found], p)
    return {
        "indicator": {
            "code": indicator.code,
            "label_en": indicator.label_en,
            "label_cy": indicator.label_cy,
        },
        "theme": {"code": theme.code, "label_en": theme.label_en, "label_cy": theme.label_cy},
        "parameters": asdict(p),
        "method": method_note(p, indicator, theme)
        + reported_gaps_note(p)
        + " "
        + aggregation_note(indicator, base),
        "summary": {c: sum(1 for r in rows if r["category"] == c) for c in CATEGORIES},
        "items": rows,
        "deciles": {"scope": "shown", "of": None},
        "aggregated_from": base,
    }


def planner_sources(session: Session, record: dict[str, Any], theme: str) -> list[Source]:
    """The data the planner shows, by source: the indicator (with its licence), the area
    boundaries and the published assets of the theme (licences not recorded for these)."""
    sources = [Source("indicator", record["source"], record["licence"], record["year"])]
    for (name,) in session.execute(
        select(Area.source).distinct().where(Area.source.is_not(None)).order_by(Area.source)
    ):
        sources.append(Source("areas", str(name)))
    for name, _n in session.execute(
        select(Asset.source, func.count())
        .join(AssetTheme, AssetTheme.asset_id == Asset.id)
        .where(AssetTheme.theme_code == theme, AssetTheme.public == true())
        .group_by(Asset.source)
        .order_by(func.count().desc())
    ):
        sources.append(Source("assets", name or ""))
    return sources


def planner_data(
    session: Session,
    *,
    indicator: str | None,
    theme: str | None,
    level: str | None,
    distance_m: float | None = None,
    high_need_percentile: float | None = None,
    min_assets: int | None = None,
    reported_gaps_weight: float | None = None,
) -> PlannerData:
    """The planner's data for these choices (None: the default); an unknown choice is
    listed in `unknown` and nothing is shown."""
    data = PlannerData()
    data.indicators = {r["code"]: r for r in list_indicators(session)}
    data.theme_labels = {t.code: (t.label_en, t.label_cy) for t in list_themes(session)}
    for name, value, known in (
        ("indicator", indicator, data.indicators),
        ("theme", theme, data.theme_labels),
        ("level", level, LEVELS),
    ):
        if value and value not in known:
            data.unknown.append(name)
    if data.unknown or not data.indicators:
        return data
    data.indicator = indicator or next(iter(data.indicators))
    record = data.indicators[data.indicator]
    data.theme = theme or _default_theme(record, data.theme_labels)
    data.levels_held = planner_levels(session, data.indicator)
    data.level = level or next(iter(data.levels_held), None)
    if data.level is None or data.level not in data.levels_held or data.theme is None:
        return data
    defaults = GapParameters(indicator=data.indicator, theme=data.theme, level=data.level)
    params = data.parameters = GapParameters(
        indicator=data.indicator,
        theme=data.theme,
        level=data.level,
        distance_m=defaults.distance_m if distance_m is None else distance_m,
        high_need_percentile=(
            defaults.high_need_percentile if high_need_percentile is None else high_need_percentile
        ),
        min_assets=defaults.min_assets if min_assets is None else min_assets,
        reported_gaps_weight=(
            defaults.reported_gaps_weight if reported_gaps_weight is None else reported_gaps_weight
        ),
    )
    data.gaps = planner_gaps(session, params, with_geometry=True)
    base = value_levels(session, data.indicator)[0]
    share = coverage(session, theme=data.theme, distance_m=params.distance_m, level=base)
    share.pop("items")
    data.coverage = share
    data.people_level, counts = people_counts(session, themes=(data.theme,))
    data.people = {r.area_code: r.people for r in counts}
    if data.people_counted:
        data.uses = _use_counts(session, data.level)
    data.sources = planner_sources(session, record, data.theme)
    outlines: list[BaseGeometry] = [item["geometry"] for item in data.gaps["items"]]
    if outlines:
        box = bounds_of(outlines)
        page = list_deficits(
            session,
            viewer=ANONYMOUS,
            theme=[data.theme],
            status=["open"],
            bbox=box,
            limit=MAX_GAPS,
        )
        data.deficits, data.more_deficits = page.records, page.next_cursor is not None
        ids = [r["id"] for r in data.deficits if r["source"] == RESIDENTS]
        data.gap_supports = {d: g.supports for d, g in supports_by_deficit(session, ids).items()}
    return data


def _use_counts(session: Session, level: str) -> dict[str, int | None]:
    """Per area code of the level, the published count of residents' uses of its assets."""
    areas = dict(session.execute(select(Area.id, Area.code).where(Area.level == level)).all())
    return {areas[i]: c.residents for i, c in area_use_counts(session, areas).items()}
