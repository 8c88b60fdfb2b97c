"""What the planner pages show, gathered from the services as plain data in the page's language:
the choices of the overlay map and its rows, and an area's profile.

People appear only as counts per area and theme, under five shown as "fewer than 5"; reported
gaps never carry who reported them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from babel.numbers import format_decimal
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.i18n import translations
from app.maps.planner import AreaShade, GapPin
from app.models import LEVELS
from app.services.needs.indicators import need_decile
from app.services.needs.planner import PlannerData, planner_data
from app.web.search import bilingual

# What a table shows for people at a level they are not counted at.
NOT_COUNTED = "\N{EN DASH}"
NUMBER_FORMAT = "#,##0.####"
LOCALES = {"en": "en_GB", "cy": "cy_GB"}


def number(value: float | int | None, lang: str) -> str:
    """A number as the page's language writes it (up to 4 decimals); '' for none."""
    if value is None:
        return ""
    return format_decimal(value, format=NUMBER_FORMAT, locale=LOCALES.get(lang, "en_GB"))


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
class AreaRow:
    """One area in the planner's table (and tooltip)."""

    code: str
    name: str
    name_lang: str
    value: str
    decile: int | None
    category: str | None
    assets: int
    people: str


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


@dataclass
class PlannerView:
    """The overlay map's choices (as asked and as chosen), errors by field, and what it shows."""

    lang: str
    indicators: list[Option] = field(default_factory=list)
    themes: list[Option] = field(default_factory=list)
    levels: list[Option] = field(default_factory=list)
    indicator: str | None = None
    theme: str | None = None
    level: str | None = None
    asked: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    indicator_record: dict[str, Any] | None = None
    indicator_label: str = ""
    theme_label: str = ""
    rows: list[AreaRow] = field(default_factory=list)
    shades: list[AreaShade] = field(default_factory=list)
    gaps: list[GapItem] = field(default_factory=list)
    more_gaps: bool = False
    summary: dict[str, int] = field(default_factory=dict)
    # The one level people are counted at (None: no areas); other levels show no people.
    people_level: str | None = None
    people_level_label: str = ""

    @property
    def status(self) -> int:
        """422 when a choice was not valid."""
        return 422 if self.errors else 200

    @property
    def pins(self) -> list[GapPin]:
        """The reported gaps as map markers."""
        return [GapPin(g.title, g.lon, g.lat, g.title_lang) for g in self.gaps]


def planner_view(
    session: Session, lang: str, *, indicator: str | None, theme: str | None, level: str | None
) -> PlannerView:
    """The overlay map's data for these choices (None: the default), in the page's language;
    an unknown choice leaves an error against its field and nothing to show."""
    _ = translations(lang).gettext
    data = planner_data(session, indicator=indicator, theme=theme, level=level)
    view = PlannerView(lang=lang)
    view.asked = {k: v for k, v in (("indicator", indicator), ("theme", theme), ("level", level))
                  if v}  # fmt: skip
    view.indicators = [Option(c, *bilingual(r, "label", lang)) for c, r in data.indicators.items()]
    labels = {code: cy if lang == "cy" else en for code, (en, cy) in data.theme_labels.items()}
    view.themes = [Option(c, label, lang) for c, label in labels.items()]
    messages = {
        "indicator": _("Choose one of the indicators in the list"),
        "theme": _("Choose one of the themes in the list"),
        "level": _("Choose one of the area levels in the list"),
    }
    view.errors = {name: messages[name] for name in data.unknown}
    names = level_labels(lang)
    if view.errors or not data.indicators:
        view.levels = [Option(c, label, lang) for c, label in names.items()]
        return view
    assert data.indicator is not None
    view.indicator = data.indicator
    record = view.indicator_record = data.indicators[data.indicator]
    view.indicator_label = bilingual(record, "label", lang)[0]
    view.theme = data.theme
    view.theme_label = labels.get(data.theme or "", "")
    view.levels = [Option(c, names[c], lang) for c in LEVELS if c in data.levels_held or c == level]
    view.level = data.level
    if data.gaps is not None:
        _fill(view, data, labels)
    return view


def _fill(view: PlannerView, data: PlannerData, labels: dict[str, str]) -> None:
    """The rows, shapes and reported gaps of a valid choice, in words."""
    assert data.gaps is not None
    lang = view.lang
    view.summary = data.gaps["summary"]
    view.people_level = data.people_level
    view.people_level_label = level_labels(lang).get(data.people_level or "", "")
    categories = category_labels(lang)
    for item in data.gaps["items"]:
        name, name_lang = bilingual(
            {"name_en": item["area_name"], "name_cy": item["area_name_cy"]}, "name", lang
        )
        people = data.people.get(item["area_code"])
        row = AreaRow(
            code=item["area_code"],
            name=name or item["area_code"],
            name_lang=name_lang,
            value=number(item["need_value"], lang),
            decile=need_decile(item["need_percentile"]),
            category=item["category"],
            assets=item["assets_in_area"],
            people=people_text(people, lang) if data.people_counted else NOT_COUNTED,
        )
        view.rows.append(row)
        details = {
            "name": row.name,
            "code": row.code,
            "value": row.value,
            "decile": str(row.decile),
            "category": categories.get(item["category"], item["category"]),
            "assets": number(row.assets, lang),
            "people": row.people,
        }
        view.shades.append(AreaShade(row.code, item["geometry"], row.decile, row.category, details))
    view.gaps = [gap_item(r, lang, labels.get) for r in data.deficits]
    view.more_gaps = data.more_deficits


def gap_item(
    record: dict[str, Any], lang: str, theme_label: Callable[[str], str | None]
) -> GapItem:
    """A deficit record (or its JSON) as a list item, placed at its point or inside its area."""
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
    )
