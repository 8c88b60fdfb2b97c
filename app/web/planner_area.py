"""An area's profile as its page shows it: needs, assets, people (as counts), nearest assets by
theme and reported gaps, in the page's language."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.i18n import translations
from app.i18n.labels import kind_labels
from app.maps.planner import AreaShade, GapPin
from app.services.needs.areas import get_area
from app.services.needs.indicators import list_indicators
from app.services.needs.profiles import area_profile
from app.spatial.geometry import geometry_from_db
from app.web.places import near_place
from app.web.planner_views import (
    GapItem,
    gap_item,
    level_labels,
    number,
    people_text,
    unit_labels,
)
from app.web.search import bilingual, theme_labels


@dataclass(frozen=True)
class IndicatorRow:
    """One need indicator of the area: value, rank among the areas held, percentile, decile
    among them (1 = most need), the national decile of a national ranking, and its source."""

    code: str
    label: str
    label_lang: str
    value: str
    unit: str
    rank: int
    of: int
    percentile: str
    decile: int
    national_decile: int | None
    source: str
    year: str


@dataclass(frozen=True)
class Count:
    """A label and a count (or a count's words, for people)."""

    label: str
    count: str


@dataclass(frozen=True)
class NearGap:
    """A reported gap in or near the area."""

    gap: GapItem
    in_area: bool
    distance: str


@dataclass
class AreaView:
    """Everything the area page shows."""

    code: str
    name: str
    name_lang: str
    near: str | None
    level: str
    population: str
    indicators: list[IndicatorRow] = field(default_factory=list)
    assets_total: int = 0
    by_kind: list[Count] = field(default_factory=list)
    by_theme: list[Count] = field(default_factory=list)
    people: list[Count] = field(default_factory=list)
    # The level people are counted at, in words, when this area is not of it (else None).
    people_elsewhere: str | None = None
    nearest: list[Count] = field(default_factory=list)
    gaps: list[NearGap] = field(default_factory=list)
    # Residents' "I use this" on the area's assets, in words (None: not counted at this level).
    uses: str | None = None
    distance_m: str = ""
    shade: AreaShade | None = None

    @property
    def pins(self) -> list[GapPin]:
        """The reported gaps as map markers."""
        return [GapPin(g.gap.title, g.gap.lon, g.gap.lat, g.gap.title_lang) for g in self.gaps]


def distance_text(metres: float | None, lang: str, *, held: bool = True) -> str:
    """A distance in words: '350 m', '1.2 km', 'more than 100 km' when none was found within
    it, or 'none held' when there is none to find (`held` False)."""
    _ = translations(lang).gettext
    if not held:
        return _("none held")
    if metres is None:
        return _("more than 100 km")
    if metres < 1000:
        return _("%(num)s m") % {"num": number(round(metres), lang)}
    return _("%(num)s km") % {"num": number(round(metres / 1000, 1), lang)}


def area_view(session: Session, code: str, lang: str) -> AreaView:
    """The profile of the area with this code; NotFound when there is none."""
    profile = area_profile(session, code)
    area = profile["area"]
    name, name_lang = bilingual(area, "name", lang)
    view = AreaView(
        code=area["code"],
        name=name or area["code"],
        near=near_place(session, area, lang),
        name_lang=name_lang if name else lang,
        level=level_labels(lang).get(area["level"], area["level"]),
        population=number(area["population"], lang),
        distance_m=number(profile["distance_m"], lang),
    )
    view.indicators = _indicators(session, profile["indicators"], lang)
    themes = theme_labels(session, lang)
    kinds = kind_labels(lang)
    assets = profile["assets"]
    view.assets_total = assets["total"]
    view.by_kind = [Count(kinds.get(r["kind"], r["kind"]), number(r["count"], lang))
                    for r in assets["by_kind"] if r["kind"] in kinds]  # fmt: skip
    view.by_theme = [Count(themes.get(r["theme"], r["theme"]), number(r["count"], lang))
                     for r in assets["by_theme"]]  # fmt: skip
    view.people = [Count(themes.get(r["theme"], r["theme"]), people_text(r["people"], lang))
                   for r in profile["people"]["by_theme"]]  # fmt: skip
    people_level = profile["people"]["level"]
    if people_level is not None and people_level != area["level"]:
        view.people_elsewhere = level_labels(lang).get(people_level, people_level)
    none_held = set(profile["themes_without_assets"])
    view.nearest = [
        Count(label, distance_text(nearest.get(code), lang, held=code not in none_held))
        for code, label in themes.items()
        if code in (nearest := profile["nearest_asset_m"])
    ]
    supports = {d["id"]: d["supports"] for d in profile["deficits"] if "supports" in d}
    view.gaps = [
        NearGap(
            gap_item(d, lang, themes.get, supports=supports),
            d["in_area"],
            distance_text(d["distance_m"], lang),
        )
        for d in profile["deficits"]
    ]
    if profile["uses"] is not None:
        view.uses = people_text(profile["uses"]["residents"], lang)
    details = {"name": view.name, "code": view.code}
    geometry = geometry_from_db(get_area(session, code).geom)
    view.shade = AreaShade(view.code, geometry, None, None, details)
    return view


def _indicators(session: Session, rows: list[dict[str, Any]], lang: str) -> list[IndicatorRow]:
    meta = {r["code"]: r for r in list_indicators(session)}
    units = unit_labels(lang)
    result = []
    for row in rows:
        record = meta.get(row["code"], {})
        label, label_lang = bilingual(row, "label", lang)
        result.append(
            IndicatorRow(
                code=row["code"],
                label=label,
                label_lang=label_lang,
                value=number(row["value"], lang),
                unit=units.get(row["unit"] or "", row["unit"] or ""),
                rank=row["rank"],
                of=row["of"],
                percentile=number(row["need_percentile"], lang),
                decile=row["need_decile"],
                national_decile=row.get("national_decile"),
                source=record.get("source") or "",
                year=str(record.get("year") or ""),
            )
        )
    return result
