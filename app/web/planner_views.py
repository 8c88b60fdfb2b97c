"""What the planner pages show, gathered from the services as plain data in the page's language:
the choices of the overlay map and its rows, and an area's profile.

People appear only as counts per area and theme, under five shown as "fewer than 5"; reported
gaps never carry who reported them.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.i18n import translations
from app.maps.planner import AreaShade, GapPin
from app.models import LEVELS
from app.services.needs.analysis import CATEGORIES, GapParameters
from app.services.needs.planner import PlannerData, Source, planner_data
from app.services.needs.zones import UNION_CODE
from app.web.planner_table import (
    DEFAULT_SORT,
    SORTS,
    AreaRow,
    filtered_rows,
    sorted_rows,
)
from app.web.search import bilingual

# What a table shows for people at a level they are not counted at.
NOT_COUNTED = "\N{EN DASH}"
NUMBER_FORMAT = "#,##0.####"
LOCALES = {"en": "en_GB", "cy": "cy_GB"}


@cache
def _locale(lang: str) -> Locale:
    # One Locale per language: given a name, babel looks its data up again for every number.
    return Locale.parse(LOCALES.get(lang, "en_GB"))


# Pages show the same values again and again (every area's need, for every visitor), and babel
# takes ~30 µs a number: a bounded memo makes a planner table of thousands of cells cheap.
@lru_cache(maxsize=65536)
def number(value: float | int | None, lang: str) -> str:
    """A number as the page's language writes it (up to 4 decimals); '' for none."""
    if value is None:
        return ""
    return format_decimal(value, format=NUMBER_FORMAT, locale=_locale(lang))


def level_labels(lang: str) -> dict[str, str]:
    """The area levels' names in a language."""
    _ = translations(lang).gettext
    return {
        "lsoa": _("Small areas (LSOAs)"),
        "msoa": _("Middle-sized areas (MSOAs)"),
        "ward": _("Electoral wards"),
        "local_authority": _("Local authorities"),
        "custom": _("Other areas"),
    }


def category_labels(lang: str) -> dict[str, str]:
    """The gap categories' short names in a language."""
    _ = translations(lang).gettext
    return {
        "priority": _("Priority"),
        "strength": _("Strength to build on"),
        "well_served": _("Well served"),
        "low_need": _("Lower need"),
    }


def category_meanings(lang: str) -> dict[str, str]:
    """What each gap category means, in a language."""
    _ = translations(lang).gettext
    return {
        "priority": _("High need and no assets of the theme nearby"),
        "strength": _("High need and assets of the theme nearby"),
        "well_served": _("Lower need and assets of the theme nearby"),
        "low_need": _("Lower need and no assets of the theme nearby"),
    }


def kind_layer_labels(lang: str) -> dict[str, str]:
    """The public kinds' names as layers of a map (plural), in a language."""
    _ = translations(lang).gettext
    return {
        "group": _("Groups"),
        "space": _("Spaces"),
        "organisation": _("Organisations"),
        "service": _("Services"),
        "business": _("Businesses"),
        "culture": _("Culture"),
    }


def people_text(published: int | None, lang: str) -> str:
    """A published count of people (app/services/people/disclosure.py) in words: the number, or
    'fewer than 5' for None."""
    if published is None:
        return translations(lang).gettext("fewer than 5")
    return number(published, lang)


@dataclass(frozen=True)
class Option:
    """One choice of a <select>: its code and label (and the label's language)."""

    code: str
    label: str
    lang: str


@dataclass(frozen=True)
class GapItem:
    """A reported service gap as a list shows it (never its reporter)."""

    id: int
    title: str
    title_lang: str
    theme: str
    severity: int
    reported_on: str
    lon: float
    lat: float
    # Residents' gaps only: their "me too" count in words ('' for other deficits).
    supports: str = ""


@dataclass
class PlannerView:
    """The planner's choices (as asked and as chosen), errors by field, and what it shows."""

    lang: str
    indicators: list[Option] = field(default_factory=list)
    themes: list[Option] = field(default_factory=list)
    levels: list[Option] = field(default_factory=list)
    indicator: str | None = None
    theme: str | None = None
    level: str | None = None
    # The analysis' parameters as the form shows them (as typed when one is not valid).
    form: dict[str, str] = field(default_factory=dict)
    asked: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    indicator_record: dict[str, Any] | None = None
    indicator_label: str = ""
    theme_label: str = ""
    level_label: str = ""
    unit: str = ""
    distance: str = ""
    high_need: str = ""
    min_assets: int = 1
    deciles_national: int | None = None  # the national ranking's size when deciles are national
    aggregated_from: str | None = None  # the level values were aggregated from, in words
    all_rows: list[AreaRow] = field(default_factory=list)  # every area, by priority
    rows: list[AreaRow] = field(default_factory=list)  # the table: filtered and sorted
    category: str | None = None  # the table's category filter
    sort: str = DEFAULT_SORT
    shades: list[AreaShade] = field(default_factory=list)
    gaps: list[GapItem] = field(default_factory=list)
    more_gaps: bool = False
    summary: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, Any] | None = None
    sources: list[Source] = field(default_factory=list)
    # The one level people are counted at (None: no areas); other levels show no people.
    people_level: str | None = None
    people_level_label: str = ""
    people_counted: bool = False
    # Whether residents' reported gaps weigh in the need (reported_gaps_weight > 0).
    weighted: bool = False

    @property
    def status(self) -> int:
        """422 when a choice was not valid."""
        return 422 if self.errors else 200

    @property
    def pins(self) -> list[GapPin]:
        """The reported gaps as map markers."""
        return [GapPin(g.title, g.lon, g.lat, g.title_lang) for g in self.gaps]

    @property
    def priorities(self) -> list[AreaRow]:
        """The priority areas, most need first (at most PRIORITY_LIST)."""
        return [r for r in self.all_rows if r.category == "priority"][:PRIORITY_LIST]

    @property
    def with_share(self) -> bool:
        """Whether the table shows the share of small areas in the nation's most deprived 10%."""
        return any(r.share_value is not None for r in self.all_rows)


# The analysis' parameters: (query name, lowest, highest, whole numbers only).
PARAMETERS = {
    "distance_m": (1.0, 50_000.0, False),
    "high_need_percentile": (0.0, 100.0, False),
    "min_assets": (1.0, 1_000.0, True),
    "reported_gaps_weight": (0.0, 1.0, False),
}
PRIORITY_LIST = 10


def _parameter(text: str | None, name: str) -> float | None:
    """A parameter's value from the form (None: not given); ValueError when not valid."""
    if text is None or not text.strip():
        return None
    low, high, whole = PARAMETERS[name]
    value = float(text.strip().replace(",", ""))
    if not low <= value <= high or (whole and value != int(value)) or value != value:
        raise ValueError(name)
    return value


def planner_view(
    session: Session,
    lang: str,
    *,
    indicator: str | None,
    theme: str | None,
    level: str | None,
    parameters: dict[str, str | None] | None = None,
    category: str | None = None,
    sort: str | None = None,
) -> PlannerView:
    """The planner's data for these choices (None: the default), in the page's language;
    an unknown choice leaves an error against its field and nothing to show."""
    _ = translations(lang).gettext
    view = PlannerView(lang=lang)
    asked = {"indicator": indicator, "theme": theme, "level": level, **(parameters or {})}
    view.asked = {k: v for k, v in asked.items() if v}
    messages = {
        "indicator": _("Choose one of the indicators in the list"),
        "theme": _("Choose one of the themes in the list"),
        "level": _("Choose one of the area levels in the list"),
        "distance_m": _("Enter a distance in metres from 1 to 50,000"),
        "high_need_percentile": _("Enter a percentile from 0 to 100"),
        "min_assets": _("Enter a whole number from 1 to 1,000"),
        "reported_gaps_weight": _("Enter a weight from 0 (off) to 1"),
        "category": _("Choose one of the gap categories in the list"),
    }
    values: dict[str, float | None] = {}
    for name in PARAMETERS:
        try:
            values[name] = _parameter((parameters or {}).get(name), name)
        except ValueError:
            view.errors[name] = messages[name]
    if category and category not in CATEGORIES:
        view.errors["category"] = messages["category"]
    view.category = category or None
    view.sort = sort if sort and sort.removeprefix("-") in SORTS else DEFAULT_SORT
    data = planner_data(
        session,
        indicator=indicator,
        theme=theme,
        level=level,
        distance_m=values.get("distance_m"),
        high_need_percentile=values.get("high_need_percentile"),
        min_assets=None if values.get("min_assets") is None else int(values["min_assets"] or 1),
        reported_gaps_weight=values.get("reported_gaps_weight"),
    )
    view.indicators = [Option(c, *bilingual(r, "label", lang)) for c, r in data.indicators.items()]
    labels = {code: cy if lang == "cy" else en for code, (en, cy) in data.theme_labels.items()}
    view.themes = [Option(c, label, lang) for c, label in labels.items()]
    view.errors.update({name: messages[name] for name in data.unknown})
    names = level_labels(lang)
    defaults = GapParameters("", "")
    view.form = {
        "distance_m": number_input(defaults.distance_m),
        "high_need_percentile": number_input(defaults.high_need_percentile),
        "min_assets": str(defaults.min_assets),
        "reported_gaps_weight": number_input(defaults.reported_gaps_weight),
    }
    if data.parameters is not None:
        p = data.parameters
        view.form = {
            "distance_m": number_input(p.distance_m),
            "high_need_percentile": number_input(p.high_need_percentile),
            "min_assets": str(p.min_assets),
            "reported_gaps_weight": number_input(p.reported_gaps_weight),
        }
    for name in PARAMETERS:
        if name in view.errors:
            view.form[name] = (parameters or {}).get(name) or ""
    if view.errors or not data.indicators:
        view.levels = [Option(c, label, lang) for c, label in names.items()]
        return view
    assert data.indicator is not None
    view.indicator = data.indicator
    record = view.indicator_record = data.indicators[data.indicator]
    view.indicator_label = bilingual(record, "label", lang)[0]
    view.unit = unit_labels(lang).get(record["unit"] or "", record["unit"] or "")
    view.theme = data.theme
    view.theme_label = labels.get(data.theme or "", "")
    view.levels = [Option(c, names[c], lang) for c in LEVELS if c in data.levels_held or c == level]
    view.level = data.level
    view.level_label = names.get(data.level or "", "")
    if data.gaps is not None and data.parameters is not None:
        _fill(view, data, labels)
    return view


def number_input(value: float) -> str:
    """A number as a form field holds it: no thousands separator, no needless decimals."""
    return f"{value:g}" if value != int(value) else str(int(value))


def _fill(view: PlannerView, data: PlannerData, labels: dict[str, str]) -> None:
    """The rows, shapes and reported gaps of a valid choice, in words."""
    assert data.gaps is not None and data.parameters is not None
    lang = view.lang
    p = data.parameters
    view.distance = number(p.distance_m, lang)
    view.high_need = number(p.high_need_percentile, lang)
    view.min_assets = p.min_assets
    view.summary = data.gaps["summary"]
    view.coverage = data.coverage
    view.sources = data.sources
    deciles = data.gaps.get("deciles") or {}
    view.deciles_national = deciles.get("of") if deciles.get("scope") == "national" else None
    aggregated = data.gaps.get("aggregated_from")
    view.aggregated_from = level_labels(lang).get(aggregated) if aggregated else None
    view.people_level = data.people_level
    view.people_level_label = level_labels(lang).get(data.people_level or "", "")
    view.people_counted = data.people_counted
    categories = category_labels(lang)
    _ = translations(lang).gettext
    for item in data.gaps["items"]:
        linked = item["area_code"] != UNION_CODE
        name, name_lang = bilingual(
            {"name_en": item["area_name"], "name_cy": item["area_name_cy"]}, "name", lang
        )
        if not linked:
            name, name_lang = _("All the areas held"), lang
        people = data.people.get(item["area_code"])
        share = item.get("most_deprived_10pc_share")
        several = len(data.gaps["items"]) > 1 or view.deciles_national is not None
        row = AreaRow(
            code=item["area_code"] if linked else "",
            name=name or item["area_code"],
            name_lang=name_lang,
            linked=linked,
            value=number(item["need_value"], lang),
            need_percentile=item.get("weighted_need_percentile", item["need_percentile"]),
            decile=item["need_decile"] if several else None,
            category=item["category"],
            category_label=categories[item["category"]],
            in_area=item["assets_in_area"],
            within=item["assets_within_distance"],
            share="" if share is None else number(round(share * 100), lang) + "%",
            share_value=share,
            people=people_text(people, lang) if data.people_counted else NOT_COUNTED,
            uses=people_text(data.uses.get(item["area_code"]), lang)
            if data.people_counted
            else NOT_COUNTED,
        )
        view.all_rows.append(row)
        details = {
            "name": row.name,
            "code": row.code,
            "value": row.value,
            "decile": "" if row.decile is None else str(row.decile),
            "category": row.category_label,
            "assets": number(row.in_area, lang),
            "within": number(row.within, lang),
            "people": row.people,
            "uses": row.uses,
        }
        view.shades.append(AreaShade(row.code or UNION_CODE, item["geometry"], row.decile,
                                     row.category, details))  # fmt: skip
    view.all_rows = sorted_rows(view.all_rows, DEFAULT_SORT)
    view.rows = sorted_rows(filtered_rows(view.all_rows, view.category), view.sort)
    view.gaps = [gap_item(r, lang, labels.get, supports=data.gap_supports) for r in data.deficits]
    view.weighted = p.reported_gaps_weight > 0
    view.more_gaps = data.more_deficits


def unit_labels(lang: str) -> dict[str, str]:
    """The usual units of indicators in a language (others are shown as imported)."""
    _ = translations(lang).gettext
    return {"rank": _("rank"), "score": _("score"), "minutes": _("minutes"), "%": "%"}


def gap_item(
    record: Mapping[str, Any],
    lang: str,
    theme_label: Callable[[str], str | None],
    *,
    supports: Mapping[int, int | None] | None = None,
) -> GapItem:
    """A deficit record (or its JSON) as a list item, placed at its point or inside its area;
    for a gap residents told us about (in `supports`), its published "me too" count in words."""
    title, title_lang = bilingual(record, "title", lang)
    lon, lat = record.get("lon"), record.get("lat")
    if (lon is None or lat is None) and record.get("location"):
        lon, lat = record["location"]["coordinates"]
    if lon is None or lat is None:
        area = record["area"]
        geom: BaseGeometry = area if isinstance(area, BaseGeometry) else shape(area)
        point = geom.representative_point()
        lon, lat = point.x, point.y
    reported = record["reported_on"]
    return GapItem(
        id=record["id"],
        title=title,
        title_lang=title_lang,
        theme=theme_label(record["theme"]) or record["theme"],
        severity=record["severity"],
        reported_on=reported if isinstance(reported, str) else reported.isoformat(),
        lon=float(lon),
        lat=float(lat),
        supports=supports_text(supports[record["id"]], lang)
        if supports and record["id"] in supports
        else "",
    )


def supports_text(published: int | None, lang: str) -> str:
    """A gap's published "me too" count in a sentence ("fewer than 5" under 5)."""
    _ = translations(lang).gettext
    if published is None:
        return _("Fewer than 5 residents say “me too”.")
    return translations(lang).ngettext(
        "%(num)d resident says “me too”.", "%(num)d residents say “me too”.", published
    ) % {"num": published}
