"""Pages for people: each at /path (English, or as negotiated) and at /cy/path (Welsh)."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from app.errors import InvalidInput
from app.http.access import Public
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.i18n.labels import kind_labels
from app.maps.assets import build_assets_map
from app.maps.base import Basemap, page_parts
from app.services.assets.search import MAX_QUERY, NEAR_RADIUS_M, RADII, clean_filters, search
from app.web.language import page_language
from app.web.routing import PageRouter
from app.web.search import (
    gazetteer_links,
    pin_numbers,
    place_items,
    result_items,
    result_pins,
    search_form,
    searched_point,
)
from app.web.templating import render_page

router = PageRouter()
page = router.page

# Repeatable filters (?theme=food&theme=housing).
Filter = Annotated[list[str] | None, Query()]
# More than any form sends; the rest of a hand-made address is ignored.
MAX_FILTERS = 100
# What the search box takes (its maxlength): a longer address is a field error, not a search.
Words = Annotated[str, Query(max_length=MAX_QUERY)]


@page("/")
def home(request: Request, session: SessionDep, viewer: Public) -> HTMLResponse:
    """The home page: search for what is near a postcode, a place or you, by name."""
    language = page_language(request)
    form = search_form(session, language.lang)
    return render_page(request, language, "home.html", viewer=viewer, form=form)


@page("/search")
def search_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    q: Words = "",
    near: str = "",
    theme: Filter = None,
    kind: Filter = None,
    radius: int | None = None,
) -> HTMLResponse:
    """Search results: assets near the postcode, outcode, place or location searched (with
    their distance), or matching places and assets by name; then a map of the same assets."""
    language = page_language(request)
    lang = language.lang
    if radius is not None and radius not in RADII:
        raise InvalidInput(("query", "radius"), f"one of {', '.join(map(str, RADII))} (metres)")
    filters = clean_filters(
        session, themes=(theme or [])[:MAX_FILTERS], kinds=(kind or [])[:MAX_FILTERS]
    )
    radius_m = radius or NEAR_RADIUS_M
    results = search(session, query=q, near=near[:100], filters=filters, radius_m=radius_m)
    kept_near = near if results.near is not None else ""
    form = search_form(
        session, lang, query=results.query, near=kept_near, filters=filters, radius_m=radius_m
    )
    area_items = result_items(results.area_records, lang)
    items = result_items(results.records, lang)
    everything = result_items(results.all_records, lang)
    map_parts = None
    if everything:
        label = translations(lang).gettext("Map of the results")
        m = build_assets_map(
            result_pins(everything, lang),
            Basemap.from_settings(settings),
            label=label,
            stack_label=translations(lang).gettext("Places here"),
            lang=lang,
            searched=searched_point(results, lang),
        )
        map_parts = page_parts(m)
    return render_page(
        request,
        language,
        "search.html",
        viewer=viewer,
        form=form,
        results=results,
        places=place_items(session, results.places, lang),
        gazetteer_links=gazetteer_links(results.other_places, lang, radius_m),
        area_items=area_items,
        items=items,
        kinds=kind_labels(lang),
        map=map_parts,
        numbers=pin_numbers(everything),
    )
