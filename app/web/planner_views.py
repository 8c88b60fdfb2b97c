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
from app.models import KINDS, LEVELS, PERSON_KINDS
from app.services.analysis import GapParameters, gap_analysis
from app.services.deficits import list_deficits
from app.services.disclosure import people_counts
from app.services.indicators import indicator_values, list_indicators, need_decile
from app.services.visibility import ANONYMOUS
from app.spatial import BBox
from app.web.search import bilingual, theme_labels

PUBLIC_KINDS = tuple(k for k in KINDS if k not in PERSON_KINDS)
MAX_GAPS = 500
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
    """A published count of people (app/services/disclosure.py) in words: the number, or
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


def _default_theme(record: dict[str, Any], themes: list[Option]) -> str | None:
    codes = [t.code for t in themes]
    return next((t for t in record["themes"] if t in codes), codes[0] if codes else None)


def planner_view(
    session: Session, lang: str, *, indicator: str | None, theme: str | None, level: str | None
) -> PlannerView:
    """The overlay map's data for these choices (None: the default); an unknown choice leaves
    an error against its field and nothing to show."""
    _ = translations(lang).gettext
    view = PlannerView(lang=lang)
    view.asked = {k: v for k, v in (("indicator", indicator), ("theme", theme), ("level", level))
                  if v}  # fmt: skip
    records = {r["code"]: r for r in list_indicators(session)}
    view.indicators = [Option(c, *bilingual(r, "label", lang)) for c, r in records.items()]
    labels = theme_labels(session, lang)
    view.themes = [Option(c, label, lang) for c, label in labels.items()]
    if indicator and indicator not in records:
        view.errors["indicator"] = _("Choose one of the indicators in the list")
    if theme and theme not in labels:
        view.errors["theme"] = _("Choose one of the themes in the list")
    if level and level not in LEVELS:
        view.errors["level"] = _("Choose one of the area levels in the list")
    if view.errors or not records:
        view.levels = [Option(c, label, lang) for c, label in level_labels(lang).items()]
        return view
    view.indicator = indicator or next(iter(records))
    record = view.indicator_record = records[view.indicator]
    view.indicator_label = bilingual(record, "label", lang)[0]
    view.theme = theme or _default_theme(record, view.themes)
    view.theme_label = labels.get(view.theme or "", "")
    held = {row["level"] for row in indicator_values(session, view.indicator)}
    names = level_labels(lang)
    view.levels = [Option(c, names[c], lang) for c in LEVELS if c in held or c == level]
    view.level = level or next((c for c in LEVELS if c in held), None)
    if view.level is None or view.level not in held or view.theme is None:
        return view
    _fill(session, view)
    return view


def _fill(session: Session, view: PlannerView) -> None:
    """The rows, shapes and reported gaps of a valid choice."""
    assert view.indicator and view.theme and view.level
    lang = view.lang
    params = GapParameters(indicator=view.indicator, theme=view.theme, level=view.level)
    result = gap_analysis(session, params, with_geometry=True)
    view.summary = result["summary"]
    counted_level, counts = people_counts(session, themes=(view.theme,))
    view.people_level = counted_level
    view.people_level_label = level_labels(lang).get(counted_level or "", counted_level or "")
    people = {r.area_code: r.people for r in counts}
    counted = counted_level == view.level
    categories = category_labels(lang)
    for item in result["items"]:
        name, name_lang = bilingual(
            {"name_en": item["area_name"], "name_cy": item["area_name_cy"]}, "name", lang
        )
        row = AreaRow(
            code=item["area_code"],
            name=name or item["area_code"],
            name_lang=name_lang,
            value=number(item["need_value"], lang),
            decile=need_decile(item["need_percentile"]),
            category=item["category"],
            assets=item["assets_in_area"],
            people=people_text(people.get(item["area_code"]), lang) if counted else NOT_COUNTED,
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
    if view.shades:
        bounds = [s.geometry.bounds for s in view.shades]
        box = BBox(
            min(b[0] for b in bounds),
            min(b[1] for b in bounds),
            max(b[2] for b in bounds),
            max(b[3] for b in bounds),
        )
        view.gaps, view.more_gaps = open_gaps(session, lang, theme=view.theme, bbox=box)


def open_gaps(session: Session, lang: str, *, theme: str, bbox: BBox) -> tuple[list[GapItem], bool]:
    """Open reported gaps of a theme in a box (at most MAX_GAPS), and whether there are more."""
    page = list_deficits(
        session, viewer=ANONYMOUS, theme=[theme], status=["open"], bbox=bbox, limit=MAX_GAPS
    )
    labels = theme_labels(session, lang)
    items = [gap_item(r, lang, labels.get) for r in page.records]
    return items, page.next_cursor is not None


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
