"""Planner pages: the overlay map, area profiles and their print views (no sign-in needed).

Needs and published assets are public: co-production means residents see the same picture as
planners. `?print=1` gives a page's print view: no navigation, a static map, the tables.
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from app.http.access import Public
from app.http.deps import SessionDep, SettingsDep
from app.http.responses import CSVBody
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
from app.web.language import localised, page_language
from app.web.planner_area import area_view
from app.web.planner_table import SORTS, AreaRow, Column, row_cells, table_columns, table_csv
from app.web.planner_views import (
    LOCALES,
    PARAMETERS,
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
PageNumber = Annotated[str | None, Query(alias="page", max_length=10)]
# The table shows this many areas a page (a county fits on one; all of Wales, 1,909 LSOAs,
# would be ~1 MB of HTML on one);
# the CSV and the print view hold them all.
PAGE_ROWS = 250


@dataclass(frozen=True)
class TablePage:
    """Which rows of the table a page shows: `first` and `last` (1-based, inclusive) of
    `total`, page `number` of `pages`, and the links to the pages before and after."""

    number: int
    pages: int
    first: int
    last: int
    total: int
    previous_url: str | None
    next_url: str | None


def table_page(request: Request, total: int, asked: str | None, printing: bool) -> TablePage:
    """The page of the table asked for (`page`: 1 when not a number, the last when beyond);
    the print view shows every row."""
    size = total if printing else PAGE_ROWS
    pages = max(1, -(-total // max(size, 1)))
    number = int(asked) if asked and asked.isdigit() else 1
    number = min(max(number, 1), pages)
    query = _query(request)

    def link(n: int) -> str:
        return request.url.path + "?" + urlencode([*query, ("page", str(n))])

    first = (number - 1) * size
    return TablePage(
        number=number,
        pages=pages,
        first=first + 1 if total else 0,
        last=min(first + size, total),
        total=total,
        previous_url=link(number - 1) if number > 1 else None,
        next_url=link(number + 1) if number < pages else None,
    )


def _legend(lang: str) -> dict[str, object]:
    """The words and colours of the planner map's legend."""
    _ = translations(lang).gettext
    deciles = [
        (n, colour, _("%(decile)d: most need") % {"decile": n} if n == 1 else
         _("%(decile)d: least need") % {"decile": n} if n == 10 else str(n))
        for n, colour in enumerate(DECILE_COLOURS, start=1)
    ]  # fmt: skip
    names, meanings = category_labels(lang), category_meanings(lang)
    categories = [(c, CATEGORY_COLOURS[c], names[c], meanings[c]) for c in CATEGORIES]
    return {"deciles": deciles, "categories": categories}


def decile_heading(lang: str, view: PlannerView) -> str:
    """What the decile column counts: national (WIMD's) deciles or within the areas shown."""
    _ = translations(lang).gettext
    if view.deciles_national:
        return _("National need decile (1 = most deprived in Wales)")
    return _("Need decile among these areas (1 = most need)")


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
            "decile": decile_heading(lang, view),
            "category": _("Gap category"),
            "assets": _("%(theme)s assets in the area") % {"theme": view.theme_label},
            "within": _("%(theme)s assets within %(distance)s m")
            % {"theme": view.theme_label, "distance": view.distance},
            "people": _("People offering %(theme)s") % {"theme": view.theme_label},
            "uses": _("Residents' “I use this” on the area's assets"),
        },
    )


def _view(
    request: Request,
    session: SessionDep,
    lang: str,
    indicator: str | None,
    theme: str | None,
    level: str | None,
    category: str | None,
    sort: str | None,
) -> PlannerView:
    """The planner's view of the request's choices (the analysis' parameters read as text)."""
    parameters = {name: request.query_params.get(name) for name in PARAMETERS}
    for name, text in parameters.items():
        if text is not None and len(text) > 20:
            parameters[name] = "?"  # not a number: shown as an error beside its field
    return planner_view(
        session,
        lang,
        indicator=indicator,
        theme=theme,
        level=level,
        parameters=parameters,
        category=category,
        sort=sort,
    )


def _columns(lang: str, view: PlannerView) -> list[Column]:
    return table_columns(
        lang,
        theme=view.theme_label,
        unit=view.unit,
        distance=view.distance,
        decile_heading=decile_heading(lang, view),
        with_share=view.with_share,
        with_people=view.people_counted,
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
    category: Choice = None,
    sort: Choice = None,
    print_view: PrintFlag = None,
    page_number: PageNumber = None,
) -> HTMLResponse:
    """The planner: the map of need and assets beside its answer (the summary and the priority
    areas), the method with its parameters as controls, then every area in a sortable table
    (PAGE_ROWS a page)."""
    language = page_language(request)
    lang = language.lang
    view = _view(request, session, lang, indicator, theme, level, category, sort)
    printing = print_view == "1"
    names = _names(lang, view)
    _ = translations(lang).gettext
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
            all_assets=(
                _("Community assets: %(theme)s") % {"theme": view.theme_label},
                list(PUBLIC_KINDS),
            ),
            level=view.level,
        )
        map_parts = page_parts(m)
    columns = _columns(lang, view)
    rows = table_page(request, len(view.rows), page_number, printing)
    shown = view.rows[rows.first - 1 : rows.last] if rows.total else []
    return render_page(
        request,
        language,
        "planner.html",
        status_code=view.status,
        viewer=viewer,
        view=view,
        legend=_legend(lang),
        categories=category_labels(lang),
        meanings=category_meanings(lang),
        columns=columns,
        table_rows=shown,
        cells=_cells(view, shown),
        table=rows,
        sort_links=_sort_links(request, view),
        map=map_parts,
        static_map=static_map,
        printing=printing,
        today=format_date(date.today(), format="long", locale=LOCALES.get(lang, "en_GB")),
        print_url=_print_url(request),
        screen_url=_screen_url(request),
        csv_url=_csv_url(request, lang),
    )


@page("/planner/areas.csv", response_class=CSVBody)
def planner_csv(
    request: Request,
    session: SessionDep,
    viewer: Public,
    indicator: Choice = None,
    theme: Choice = None,
    level: Choice = None,
    category: Choice = None,
    sort: Choice = None,
) -> Response:
    """The planner's table as CSV: the same rows, filter, order and columns as the page."""
    language = page_language(request)
    lang = language.lang
    view = _view(request, session, lang, indicator, theme, level, category, sort)
    if view.errors:
        return CSVBody("", status_code=422)
    cells = _cells(view)
    name = "-".join(x for x in ("planner", view.indicator, view.theme, view.level) if x)
    return CSVBody(
        table_csv(_columns(lang, view), cells),
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _cells(view: PlannerView, rows: list[AreaRow] | None = None) -> list[list[str]]:
    """The table's rows (or these of them), cell by cell, as shown."""
    return [
        row_cells(r, with_share=view.with_share, with_people=view.people_counted)
        for r in (view.rows if rows is None else rows)
    ]


def _sort_links(request: Request, view: PlannerView) -> dict[str, str]:
    """Each sort key's link: this page sorted by it (again: the other way round)."""
    query = [(k, v) for k, v in _query(request) if k != "sort"]
    links = {}
    for key in SORTS:
        value = "-" + key if view.sort == key else key
        links[key] = request.url.path + "?" + urlencode([*query, ("sort", value)])
    return links


def _csv_url(request: Request, lang: str) -> str:
    """The CSV of this page's table: the same query."""
    query = _query(request)
    path = localised("/planner/areas.csv", lang)
    return path + ("?" + urlencode(query) if query else "")


def _query(request: Request) -> list[tuple[str, str]]:
    skip = ("print", "lang", "page")
    return [(k, v) for k, v in request.query_params.multi_items() if k not in skip]


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
    label = _("Map of %(name)s with the reported gaps and community assets near it") % {
        "name": view.name
    }
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
            deficits=_("Reported gaps"),
            details={"name": _("Area"), "code": _("Code")},
        )
        m = build_area_map(
            view.shade,
            view.pins,
            Basemap.from_settings(settings),
            names=names,
            lang=lang,
            assets_layer=_("Community assets nearby"),
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
