"""How pages name places: an area with the gazetteer place it is near ("Cardiff 032A, near
Splott"), and distances in words ("350 m", "1.2 km"), in the page's language."""

from collections.abc import Iterable, Mapping
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from app.i18n import translations
from app.services.places.gazetteer import PlaceMatch, place_key, places_in_areas

# Babel's locale for each page language's numbers ("1.2", "1,200").
NUMBER_LOCALES = {"en": "en_GB", "cy": "cy"}


def distance_text(metres: float, lang: str) -> str:
    """A distance for a page: '350 m' under a kilometre (to 10 m), else '1.2 km'."""
    _ = translations(lang).gettext
    locale = NUMBER_LOCALES.get(lang, "en_GB")
    if metres < 995:
        return _("%(num)s m") % {"num": format_decimal(max(10, round(metres, -1)), locale=locale)}
    return _("%(num)s km") % {
        "num": format_decimal(round(metres / 1000, 1), format="#,##0.#", locale=locale)
    }


def _name(area: Mapping[str, Any], lang: str) -> str:
    other = "en" if lang == "cy" else "cy"
    return str(area.get(f"name_{lang}") or area.get(f"name_{other}") or area["code"])


def _place_named(area: Mapping[str, Any], place: PlaceMatch | None, lang: str) -> str | None:
    """The name in `lang` of the place an area lies near, unless the area's name holds it."""
    if place is None:
        return None
    place_name = place.name_in(lang)
    return None if place_key(place_name) in place_key(_name(area, lang)) else place_name


def label_with_place(area: Mapping[str, Any], place: PlaceMatch | None, lang: str) -> str:
    """The area's name in `lang` (else the other language's, else its code), with ", near
    PLACE" when a place is given whose name the area's name does not already hold."""
    name, place_name = _name(area, lang), _place_named(area, place, lang)
    if place_name is None:
        return name
    return translations(lang).gettext("%(area)s, near %(place)s") % {
        "area": name,
        "place": place_name,
    }


def near_place(session: Session, area: Mapping[str, Any], lang: str) -> str | None:
    """'near Splott' for an area a gazetteer place lies in (None when none does, or when the
    area's name already holds the place's): for pages that mark the name's language up."""
    place = places_in_areas(session, [area["code"]]).get(area["code"])
    place_name = _place_named(area, place, lang)
    if place_name is None:
        return None
    return translations(lang).gettext("near %(place)s") % {"place": place_name}


def area_labels(session: Session, areas: Iterable[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """Each area's label by code (`code`, `name_en`, `name_cy` of each): its name, near the
    gazetteer place inside it when there is one ("Cardiff 032A, near Splott")."""
    areas = list(areas)
    near = places_in_areas(session, [a["code"] for a in areas])
    return {a["code"]: label_with_place(a, near.get(a["code"]), lang) for a in areas}


def area_label(session: Session, area: Mapping[str, Any], lang: str) -> str:
    """One area's label: its name, near the gazetteer place inside it when there is one."""
    return area_labels(session, [area], lang)[area["code"]]
