"""Pages for people: each at /path (English, or as negotiated) and at /cy/path (Welsh)."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from app.http.access import Public
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.maps.assets import build_assets_map
from app.maps.base import Basemap, page_parts
from app.services.assets.search import clean_filters, search
from app.web.language import page_language
from app.web.routing import PageRouter
from app.web.search import kind_labels, place_items, result_items, result_pins, search_form
from app.web.templating import render_page

router = PageRouter()
page = router.page

# Repeatable filters (?theme=food&theme=housing).
Filter = Annotated[list[str] | None, Query()]
# More than any form sends; the rest of a hand-made address is ignored.
MAX_FILTERS = 100


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
    q: str = "",
    near: str = "",
    theme: Filter = None,
    kind: Filter = None,
) -> HTMLResponse:
    """Search results: matching places, then a list of assets, then a map of the same assets."""
    language = page_language(request)
    lang = language.lang
    filters = clean_filters(
        session, themes=(theme or [])[:MAX_FILTERS], kinds=(kind or [])[:MAX_FILTERS]
    )
    results = search(session, query=q, near=near[:100], filters=filters)
    kept_near = near if results.near is not None else ""
    form = search_form(session, lang, query=results.query, near=kept_near, filters=filters)
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
        )
        map_parts = page_parts(m)
    return render_page(
        request,
        language,
        "search.html",
        viewer=viewer,
        form=form,
        results=results,
        places=place_items(results.places, lang),
        area_items=area_items,
        items=items,
        kinds=kind_labels(lang),
        map=map_parts,
    )
