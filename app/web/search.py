"""How search pages show things: names in the page's language (or visibly in the other), the
search form's filters, and map pins that link to each asset's page."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy.orm import Session

from app.i18n import translations
from app.i18n.labels import kind_labels
from app.maps.assets import AssetPin, SearchedPoint
from app.services.assets.search import (
    MAX_QUERY,
    NEAR_RADIUS_M,
    PUBLIC_KINDS,
    RADII,
    Place,
    SearchFilters,
    SearchResults,
)
from app.services.assets.themes import list_themes
from app.services.places.gazetteer import PlaceMatch
from app.web.language import WELSH_PREFIX, localised
from app.web.places import area_labels, distance_text


def theme_labels(session: Session, lang: str) -> dict[str, str]:
    """Every active theme's label in a language, in taxonomy order."""
    return {t.code: t.label_cy if lang == "cy" else t.label_en for t in list_themes(session)}


@dataclass(frozen=True)
class Option:
    """A checkbox of the search form: its value, label and whether it is ticked."""

    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class SearchForm:
    """What the search form shows: the text, the point searched near (kept when filters
    change), the theme and kind checkboxes, and the distances to search within."""

    query: str
    near: str
    themes: list[Option]
    kinds: list[Option]
    radii: list[Option]

    @property
    def filtered(self) -> bool:
        """Whether any filter is ticked (the filters then start open)."""
        return any(o.checked for o in [*self.themes, *self.kinds])


def search_form(
    session: Session,
    lang: str,
    *,
    query: str = "",
    near: str = "",
    filters: SearchFilters | None = None,
    radius_m: int = NEAR_RADIUS_M,
) -> SearchForm:
    """The search form for a page in `lang`, filled in with the search shown."""
    filters = filters or SearchFilters()
    kinds = kind_labels(lang)
    return SearchForm(
        query=query,
        near=near,
        themes=[
            Option(code, label, code in filters.themes)
            for code, label in theme_labels(session, lang).items()
        ],
        kinds=[Option(k, kinds[k], k in filters.kinds) for k in PUBLIC_KINDS],
        radii=[Option(str(r), distance_text(r, lang), r == radius_m) for r in RADII],
    )


# What a search page's address may carry back from an asset page ("Back to search").
SEARCH_PARAMS = ("q", "near", "theme", "kind", "radius")
MAX_SEARCH_URL = 2000


def search_return_path(referer: str | None, host: str, lang: str) -> str | None:
    """The search to go back to from an asset page: the page it was opened from (its Referer)
    when that is this site's /search (or /cy/search) page, rebuilt from the search's own
    parameters only, in the asset page's language; None for anything else.

    The Referer, not a parameter in the asset's address: a shared or bookmarked link to an
    asset then never carries the postcode or place someone searched for."""
    if not referer or len(referer) > MAX_SEARCH_URL:
        return None
    if any(c in referer for c in "\\\r\n\t") or any(ord(c) < 32 for c in referer):
        return None
    parts = urlsplit(referer)
    path = parts.path.removeprefix(WELSH_PREFIX)
    if parts.scheme not in ("http", "https") or parts.netloc != host or path != "/search":
        return None
    params = [
        (k, v[:MAX_QUERY])
        for k, v in parse_qsl(parts.query, keep_blank_values=False)
        if k in SEARCH_PARAMS
    ][:100]
    return localised("/search", lang) + ("?" + urlencode(params) if params else "")


def display_name(record: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """An asset's name in the page's language, else in the other one: (text, its language)."""
    return bilingual(record, "name", lang)


def bilingual(record: Mapping[str, Any], stem: str, lang: str) -> tuple[str, str]:
    """A text field (`stem`_en / `stem`_cy) in the page's language, else in the other one:
    (text, its language)."""
    other = "en" if lang == "cy" else "cy"
    if record.get(f"{stem}_{lang}"):
        return record[f"{stem}_{lang}"], lang
    return record.get(f"{stem}_{other}") or "", other


@dataclass(frozen=True)
class ResultItem:
    """One result as a page shows it: the record, its name in the page's language or, failing
    that, in the other (`name_lang` says which), the path of its page, and how far it is
    from the point searched ('' when the search had no point)."""

    record: Mapping[str, Any]
    name: str
    name_lang: str
    href: str
    distance: str = ""


def result_items(records: Sequence[Mapping[str, Any]], lang: str) -> list[ResultItem]:
    """The records, named and linked for a page in `lang`, with their distance from the point
    searched when the search had one."""
    items = []
    for r in records:
        distance = r.get("distance_m")
        items.append(
            ResultItem(
                r,
                *display_name(r, lang),
                localised(f"/assets/{r['id']}", lang),
                distance_text(distance, lang) if distance is not None else "",
            )
        )
    return items


@dataclass(frozen=True)
class PlaceItem:
    """A matched place as a page shows it: its name (and that name's language) and link."""

    place: Place
    name: str
    name_lang: str
    href: str


def place_items(session: Session, places: Sequence[Place], lang: str) -> list[PlaceItem]:
    """The places, named (near the gazetteer place inside each, when there is one) and linked
    to their area page for a page in `lang`."""
    labels = area_labels(session, [vars(p) for p in places], lang)
    items = []
    for place in places:
        _name, name_lang = bilingual(vars(place), "name", lang)
        href = localised(f"/areas/{place.code}", lang)
        items.append(PlaceItem(place, labels[place.code], name_lang, href))
    return items


@dataclass(frozen=True)
class PlaceLink:
    """A gazetteer place offered as another search: its name in the page's language (and in
    the other, when it differs), and the search for it (at the same distance)."""

    name: str
    href: str


def gazetteer_links(places: Sequence[PlaceMatch], lang: str, radius_m: int) -> list[PlaceLink]:
    """Links that search for each of these places by name (each name once)."""
    links: dict[str, PlaceLink] = {}
    for place in places:
        name = place.name_in(lang)
        other = place.name_in("en" if lang == "cy" else "cy")
        params: dict[str, str | int] = {"q": name}
        if radius_m != NEAR_RADIUS_M:
            params["radius"] = radius_m
        href = localised("/search", lang) + "?" + urlencode(params)
        # Both names: the one typed may be the other language's ("Trefe" offers Milltown).
        shown = f"{name} ({other})" if other != name else name
        links.setdefault(name, PlaceLink(shown, href))
    return list(links.values())


def result_pins(items: Sequence[ResultItem], lang: str) -> list[AssetPin]:
    """A map pin per result, numbered in the order given (the page's lists), its popup
    linking to the asset's page."""
    link_text = translations(lang).gettext("See details")
    return [
        AssetPin(i.name, i.record["lon"], i.record["lat"], i.name_lang, i.href, link_text, n)
        for n, i in enumerate(items, 1)
    ]


def pin_numbers(items: Sequence[ResultItem]) -> dict[int, int]:
    """Each result's number on the map (by asset id), as result_pins numbers them."""
    return {i.record["id"]: n for n, i in enumerate(items, 1)}


def searched_point(results: SearchResults, lang: str) -> SearchedPoint | None:
    """The point the search was made from as a map marker, named for screen readers (None
    when the search had no point)."""
    if results.point is None:
        return None
    _ = translations(lang).gettext
    lon, lat = results.point
    if results.near is not None:
        label = _("You searched from here (your location)")
    else:
        named = results.place.name_in(lang) if results.place else results.query
        place = results.postcode or results.outcode or named
        label = _("You searched here: %(place)s") % {"place": place}
    return SearchedPoint(lon, lat, label, float(results.radius_m))
