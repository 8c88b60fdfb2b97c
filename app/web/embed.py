"""The embeddable map: an iframe URL with filters, and the only page other sites may frame.

/embed?kind=..&theme=..&bbox=minlon,minlat,maxlon,maxlat shows the live assets layer (loaded by
viewport, never people) and its list twin, fitted to the bbox (else to the assets it shows),
with no site navigation. app/http/security.py lets ASSETMAP_EMBED_ANCESTORS frame it.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from app.errors import InvalidInput
from app.http.access import Public
from app.http.deps import SessionDep, SettingsDep, get_bbox
from app.i18n import translations
from app.maps.base import Basemap, new_map, page_parts
from app.maps.live import live_assets_layer
from app.services.assets.map_layers import public_extent
from app.services.assets.search import clean_filters
from app.spatial import BBox
from app.web.language import page_language
from app.web.routing import PageRouter
from app.web.templating import render_page

router = PageRouter()
page = router.page

EMBED_PATHS = frozenset({"/embed", "/cy/embed"})
# Repeatable filters (?theme=food&theme=housing); more than this is not a real address.
MAX_FILTERS = 50
Filter = Annotated[list[str] | None, Query()]
# Where an empty map looks (minlon, minlat, maxlon, maxlat): Wales.
WALES = (-5.35, 51.35, -2.65, 53.45)


def _bbox(settings: SettingsDep, text: str) -> BBox | None:
    """The bbox to fit, or None when absent or not a valid one (a page shows the default)."""
    if not text:
        return None
    try:
        return get_bbox(settings, text[:200])
    except InvalidInput:
        return None


@page("/embed")
def embed_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    kind: Filter = None,
    theme: Filter = None,
    bbox: str = "",
) -> HTMLResponse:
    """A map of the published assets for other sites to embed (an iframe), with its list."""
    language = page_language(request)
    lang = language.lang
    _ = translations(lang).gettext
    filters = clean_filters(
        session, themes=(theme or [])[:MAX_FILTERS], kinds=(kind or [])[:MAX_FILTERS]
    )
    box = _bbox(settings, bbox) or public_extent(
        session, kinds=filters.kinds, themes=filters.themes, points=request.app.state.map_points
    )
    bounds = (box.minx, box.miny, box.maxx, box.maxy) if box else WALES
    m = new_map(
        Basemap.from_settings(settings),
        label=_("Map of community assets"),
        lang=lang,
        bounds=bounds,
    )
    m.add(
        live_assets_layer(
            name=_("Community assets"),
            lang=lang,
            kinds=list(filters.kinds),
            themes=list(filters.themes),
            max_degrees=settings.max_bbox_degrees,
        )
    )
    narrowed = [("kind", k) for k in filters.kinds] + [("theme", t) for t in filters.themes]
    view = [*narrowed, ("bbox", ",".join(f"{v:.6f}" for v in bounds))]
    return render_page(
        request,
        language,
        "embed.html",
        viewer=viewer,
        map=page_parts(m),
        download_query=urlencode(view),
        full_map_query=urlencode(narrowed),
    )
