"""Planner pages: the overlay map, area profiles and their print views (no sign-in needed).

Needs and published assets are public: co-production means residents see the same picture as
planners. `?print=1` gives a page's print view: no navigation, a static map, the tables.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from app.http.access import Public
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.maps.base import Basemap, page_parts
from app.maps.planner import (
    CATEGORIES,
    CATEGORY_COLOURS,
    DECILE_COLOURS,
    LayerNames,
    build_area_map,
    build_planner_map,
    static_map_svg,
)
from app.vocabularies import PUBLIC_KINDS
from app.web.language import page_language
from app.web.planner_area import area_view
from app.web.planner_views import (
    PlannerView,
    category_labels,
    category_meanings,
    kind_layer_labels,
    planner_view,
)
from app.web.routing import PageRouter
from app.web.templating import render_page

router = PageRouter()
page = router.page

# Query values are checked by the page itself (an unknown one is shown beside its field), so
# only their length is limited here.
Choice = Annotated[str | None, Query(max_length=80)]
PrintFlag = Annotated[str | None, Query(alias="print", max_length=5)]


def _legend(lang: str) -> dict[str, object]:
    """The words and colours of the planner map's legend."""
    _ = translations(lang).gettext
    deciles = [
        (n, colour, _("%(decile)d: least need") % {"decile": n} if n == 1 else
         _("%(decile)d: most need") % {"decile": n} if n == 10 else str(n))
        for n, colour in enumerate(DECILE_COLOURS, start=1)
    ]  # fmt: skip
    names, meanings = category_labels(lang), category_meanings(lang)
    categories = [(c, CATEGORY_COLOURS[c], names[c], meanings[c]) for c in CATEGORIES]
    return {"deciles": deciles, "categories": categories}


def _names(lang: str, view: PlannerView) -> LayerNames:
    _ = translations(lang).gettext
    return LayerNames(
        label=_("Map of need and assets by area"),
        need=_("Need: %(indicator)s") % {"indicator": view.indicator_label},
        gaps=_("Gap categories: %(theme)s") % {"theme": view.theme_label},
        deficits=_("Reported gaps: %(theme)s") % {"theme": view.theme_label},
        details={
            "name": _("Area"),
            "code": _("Code"),
            "value": _("Value"),
            "decile": _("Need decile (10 = most need)"),
            "category": _("Gap category"),
            "assets": _("Assets: %(theme)s") % {"theme": view.theme_label},
            "people": _("People offering %(theme)s") % {"theme": view.theme_label},
        },
    )


@page("/planner")
def planner_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    indicator: Choice = None,
    theme: Choice = None,
    level: Choice = None,
    print_view: PrintFlag = None,
) -> HTMLResponse:
    """The overlay map: an indicator's need by area beside the gap categories of a theme,
    reported gaps and published assets, after a table of the same areas."""
    language = page_language(request)
    lang = language.lang
    view = planner_view(session, lang, indicator=indicator, theme=theme, level=level)
    printing = print_view == "1"
    names = _names(lang, view)
    map_parts, static_map = None, ""
    if view.shades and printing:
        static_map = static_map_svg(view.shades, view.pins, label=names.label)
    elif view.shades:
        kinds = kind_layer_labels(lang)
        layers = [(k, f"{kinds[k]}: {view.theme_label}") for k in PUBLIC_KINDS]
        m = build_planner_map(
            view.shades,
            view.pins,
            Basemap.from_settings(settings),
            names=names,
            lang=lang,
            theme=view.theme,
            asset_layers=layers,
        )
        map_parts = page_parts(m)
    return render_page(
        request,
        language,
        "planner.html",
        status_code=view.status,
        viewer=viewer,
        view=view,
        legend=_legend(lang),
        categories=category_labels(lang),
        map=map_parts,
        static_map=static_map,
        printing=printing,
        print_url=_print_url(request),
        screen_url=_screen_url(request),
    )


def _query(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k not in ("print", "lang")]


def _print_url(request: Request) -> str:
    """This page's print view: the same address with print=1."""
    return request.url.path + "?" + urlencode([*_query(request), ("print", "1")])


def _screen_url(request: Request) -> str:
    """This page without print=1."""
    query = _query(request)
    return request.url.path + ("?" + urlencode(query) if query else "")


@page("/areas/{code}")
def area_page(
    request: Request,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    print_view: PrintFlag = None,
) -> HTMLResponse:
    """One area's profile: needs, assets by kind and theme, people as counts, the nearest
    asset of each theme, reported gaps, and a map of the area with its gaps."""
    language = page_language(request)
    lang = language.lang
    view = area_view(session, code[:40], lang)
    _ = translations(lang).gettext
    label = _("Map of %(name)s and the reported gaps in or near it") % {"name": view.name}
    printing = print_view == "1"
    map_parts, static_map = None, ""
    assert view.shade is not None
    if printing:
        static_map = static_map_svg([view.shade], view.pins, label=label, show_categories=False)
    else:
        names = LayerNames(
            label=label,
            need=view.name,
            gaps="",
            deficits="",
            details={"name": _("Area"), "code": _("Code")},
        )
        m = build_area_map(
            view.shade, view.pins, Basemap.from_settings(settings), names=names, lang=lang
        )
        map_parts = page_parts(m)
    return render_page(
        request,
        language,
        "area.html",
        viewer=viewer,
        view=view,
        map=map_parts,
        static_map=static_map,
        printing=printing,
        print_url=_print_url(request),
        screen_url=_screen_url(request),
    )
