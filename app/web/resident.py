"""The asset page: one published asset, for anybody (the resident forms are suggest.py,
report.py and introduction.py)."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.errors import NotFound
from app.http.access import Public
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.i18n.labels import kind_labels
from app.maps.assets import AssetPin, build_assets_map
from app.maps.base import Basemap, page_parts
from app.services.assets.search import public_asset
from app.web.asset_details import asset_details, use_panel
from app.web.language import localised, page_language
from app.web.routing import PageRouter
from app.web.search import bilingual, search_return_path, theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page

# ---- the asset page ----------------------------------------------------------------------------


@page("/assets/{asset_id}")
def asset_page(
    request: Request, asset_id: str, session: SessionDep, settings: SettingsDep, viewer: Public
) -> HTMLResponse:
    """One published asset: what it is, where, when it is open, accessibility, languages and
    contact, with a map. Anything else (missing, pending, a person) is not found, for anyone."""
    if not asset_id.isascii() or not asset_id.isdigit():
        raise NotFound(f"asset {asset_id!r} not found")
    record = public_asset(session, int(asset_id))
    language = page_language(request)
    lang = language.lang
    name, name_lang = bilingual(record, "name", lang)
    description, description_lang = bilingual(record, "description", lang)
    label = translations(lang).gettext("Map showing where %(name)s is") % {"name": name}
    pin = AssetPin(name, record["lon"], record["lat"], name_lang)
    stack_label = translations(lang).gettext("Places here")
    referer = request.headers.get("referer")
    back = search_return_path(referer, request.url.netloc, lang) or localised("/search", lang)
    m = build_assets_map(
        [pin], Basemap.from_settings(settings), label=label, stack_label=stack_label, lang=lang
    )
    return render_page(
        request,
        language,
        "asset.html",
        viewer=viewer,
        asset=record,
        name=name,
        name_lang=name_lang,
        description=description,
        description_lang=description_lang,
        kind=kind_labels(lang).get(record["kind"], record["kind"]),
        details=asset_details(record, lang, theme_labels(session, lang)),
        uses=use_panel(session, viewer, record),
        map=page_parts(m),
        back_to_search=back,
    )


# ---- end of the asset page ---------------------------------------------------------------------
