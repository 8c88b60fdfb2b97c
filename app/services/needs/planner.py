"""The planner's overlay map in one read: the choices (indicator, theme, level) with their
defaults, the gap analysis of the choice with area outlines (the same `gap_analysis` that
/api/v1/analysis/gaps answers from), the published people counts of the areas, and the open
reported gaps of the theme around them. Pages only put it into words."""

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.services.assets.themes import list_themes
from app.services.assets.visibility import ANONYMOUS
from app.services.needs.analysis import GapParameters, gap_analysis
from app.services.needs.deficits import list_deficits
from app.services.needs.indicators import indicator_values, list_indicators
from app.services.people.disclosure import people_counts
from app.spatial.geometry import bounds_of
from app.vocabularies import LEVELS

MAX_GAPS = 500


@dataclass
class PlannerData:
    """What the overlay map shows for a choice. `unknown` lists the choices (field names) that
    are not held; the chosen values are the asked ones or the defaults."""

    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    theme_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # code: (en, cy)
    unknown: list[str] = field(default_factory=list)
    indicator: str | None = None
    theme: str | None = None
    level: str | None = None
    levels_held: list[str] = field(default_factory=list)
    gaps: dict[str, Any] | None = None  # gap_analysis(with_geometry=True), when shown
    people_level: str | None = None
    people: dict[str, int | None] = field(default_factory=dict)  # area code: published count
    deficits: list[dict[str, Any]] = field(default_factory=list)
    more_deficits: bool = False

    @property
    def people_counted(self) -> bool:
        """Whether people are counted at the chosen level (else the map shows none)."""
        return self.people_level is not None and self.people_level == self.level


def _default_theme(record: dict[str, Any], themes: dict[str, tuple[str, str]]) -> str | None:
    return next((t for t in record["themes"] if t in themes), next(iter(themes), None))


def planner_data(
    session: Session, *, indicator: str | None, theme: str | None, level: str | None
) -> PlannerData:
    """The overlay map's data for these choices (None: the default); an unknown choice is
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
    held = {row["level"] for row in indicator_values(session, data.indicator)}
    data.levels_held = [c for c in LEVELS if c in held]
    data.level = level or next(iter(data.levels_held), None)
    if data.level is None or data.level not in held or data.theme is None:
        return data
    params = GapParameters(indicator=data.indicator, theme=data.theme, level=data.level)
    data.gaps = gap_analysis(session, params, with_geometry=True)
    data.people_level, counts = people_counts(session, themes=(data.theme,))
    data.people = {r.area_code: r.people for r in counts}
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
    return data
