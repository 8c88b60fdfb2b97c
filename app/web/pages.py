"""Pages for people: each at /path (English, or as negotiated) and at /cy/path (Welsh)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from app.api.access import PUBLIC, Public
from app.api.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.maps.assets import AssetPin, build_assets_map
from app.maps.base import Basemap, page_parts
from app.web.language import WELSH_PREFIX, page_language
from app.web.search import result_items, search
from app.web.templating import render_page

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Endpoint = Callable[..., HTMLResponse]


def page(path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Register a GET page at `path` and at its Welsh twin under /cy."""

    def register(endpoint: Endpoint) -> Endpoint:
        for prefix in ("", WELSH_PREFIX):
            router.add_api_route(prefix + path, endpoint, methods=["GET"], **options)
        return endpoint

    return register


@page("/", dependencies=[Depends(PUBLIC)])
def home(request: Request) -> HTMLResponse:
    """The home page: search for what is near a postcode or by name."""
    return render_page(request, page_language(request), "home.html")


@page("/search")
def search_page(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, q: str = ""
) -> HTMLResponse:
    """Search results: a list, then a map of the same assets."""
    language = page_language(request)
    lang = language.lang
    results = search(session, viewer=viewer, query=q)
    items = result_items(results, lang)
    map_parts = None
    if items:
        pins = [AssetPin(i.name, i.record["lon"], i.record["lat"], i.name_lang) for i in items]
        label = translations(lang).gettext("Map of the results")
        basemap = Basemap.from_settings(settings)
        map_parts = page_parts(build_assets_map(pins, basemap, label=label))
    return render_page(
        request, language, "search.html", results=results, items=items, map=map_parts
    )
