"""Planner maps: need by area (a decile choropleth), gap categories, reported gaps and asset
layers on one overlay map; an area's outline with its gaps; and a static SVG of the same for print.

Everything here is built from plain data (AreaShade, GapPin, LayerNames): no session, no
catalogue. The page passes the words, already in its language. The maps are data
(app/maps/base.py): static/js/maps.js draws them and sets every text with Leaflet's text APIs
and textContent. Polygons are simplified and rounded so a county's areas stay small on the page.
"""

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from app.maps.base import AREA_TILES, Basemap, DataMap, new_map
from app.maps.live import live_assets_layer

# Viridis in ten steps, dark (decile 1, most need, as WIMD's deciles run) to light (decile 10,
# least need): sequential, readable in greyscale and with every common colour-vision deficiency.
DECILE_COLOURS = (
    "#440154", "#482878", "#3e4989", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)  # fmt: skip
NO_VALUE_COLOUR = "#d9d9d9"
# Gap categories: an outline colour (Okabe-Ito, colour-blind safe) and an SVG pattern each
# (defined in templates/_planner_patterns.html), so they differ without colour too.
CATEGORY_COLOURS = {
    "priority": "#d55e00",
    "strength": "#0072b2",
    "well_served": "#009e73",
    "low_need": "#5a5a5a",
}
CATEGORIES = tuple(CATEGORY_COLOURS)
PATTERN_PREFIX = "planner-gap-"
DEFICIT_ICON = "/static/img/planner-deficit.svg"
DEFICIT_ICON_SIZE = (26, 26)
# Degrees: ~20-35 m on the ground in Wales; a pixel or two at zoom 14, where areas are read.
SIMPLIFY_TOLERANCE = 0.0003
DECIMALS = 5
# An area's other parts smaller than this share of all the areas (islands) do not widen the
# map's bounds.
MINOR = 0.01
DETAIL_FIELDS = ("name", "code", "value", "decile", "category", "assets", "within", "people")
# More areas than this come to the map as vector tiles (/tiles/areas) styled from a small
# table keyed by code, not as GeoJSON in the page: all 1,909 Welsh LSOAs would be megabytes.
EMBED_MAX_AREAS = 300
# The tooltip's fields the tiles themselves give (name, code) or the shade and gap say.
_TILE_GIVES = ("name", "code", "decile", "category")


def decile_colour(decile: int | None) -> str:
    """The fill colour of a need decile (1-10, 1 = most need); grey for no value."""
    return DECILE_COLOURS[decile - 1] if decile else NO_VALUE_COLOUR


def pattern_fill(category: str) -> str:
    """The SVG fill of a gap category: its pattern in the page's <defs>."""
    return f"url(#{PATTERN_PREFIX}{category})"


@dataclass(frozen=True)
class AreaShade:
    """One area as the planner map draws it: its outline, need decile and gap category (None:
    not known), and the words its tooltip shows, by DETAIL_FIELDS name."""

    code: str
    geometry: BaseGeometry
    decile: int | None
    category: str | None
    details: dict[str, str]


@dataclass(frozen=True)
class GapPin:
    """A reported service gap (deficit) as a marker: its title (in `lang`) and its point."""

    title: str
    lon: float
    lat: float
    lang: str


@dataclass(frozen=True)
class LayerNames:
    """The words of a planner map, in the page's language."""

    label: str
    need: str
    gaps: str
    deficits: str
    # The tooltip's labels, by DETAIL_FIELDS name.
    details: dict[str, str]


# The same boundary always makes the same outline: pages draw the same areas again and again
# (the boundaries come from app/services/needs/shapes.py), so outlines are made once. Bounded.
@lru_cache(maxsize=8192)
def small_geometry(geom: BaseGeometry, tolerance: float = SIMPLIFY_TOLERANCE) -> dict[str, Any]:
    """An area's outline as GeoJSON, simplified (topology kept) and rounded to 5 decimals.
    Shared between callers: never change what it returns."""
    simple = geom.simplify(tolerance, preserve_topology=True)
    rounded = shapely.set_precision(simple, 10**-DECIMALS, mode="pointwise")
    shape = rounded if not rounded.is_empty else simple
    return _rounded(mapping(shape))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def areas_collection(areas: Sequence[AreaShade]) -> dict[str, Any]:
    """The areas as a GeoJSON FeatureCollection (small outlines; details and category)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.code,
                "geometry": small_geometry(a.geometry),
                # `category` is the category's words (tooltips); `gap` its code (its pattern).
                "properties": {
                    **{name: a.details.get(name, "") for name in DETAIL_FIELDS},
                    "gap": a.category or "",
                    "shade": a.decile or 0,
                },
            }
            for a in areas
        ],
    }


def bounds_of_areas(areas: Sequence[AreaShade]) -> tuple[float, float, float, float] | None:
    """The lon/lat box around the areas (None when there are none), leaving out the small
    outlying parts of an area (an island such as Flat Holm, under 1 % of all the areas),
    which would shrink the map; each area's largest part always counts."""
    if not areas:
        return None
    total = sum(a.geometry.area for a in areas)
    boxes = []
    for a in areas:
        parts = sorted(getattr(a.geometry, "geoms", [a.geometry]), key=lambda p: -p.area)
        boxes += [p.bounds for i, p in enumerate(parts) if i == 0 or p.area >= MINOR * total]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def category_styles() -> dict[str, dict[str, Any]]:
    """How each gap category is drawn over the areas: its outline colour and pattern fill."""
    return {
        category: {
            "color": colour,
            "weight": 2.5,
            "opacity": 1,
            "fillColor": pattern_fill(category),
            "fillOpacity": 1,
        }
        for category, colour in CATEGORY_COLOURS.items()
    }


def pins_layer(pins: Sequence[GapPin], name: str | None = None) -> dict[str, Any]:
    """A marker per reported gap: its title as alt text and tooltip; never who reported it.
    With a `name`, the markers are one overlay in the layer control."""
    width, height = DEFICIT_ICON_SIZE
    return {
        "type": "pins",
        "name": name,
        "icon": {"url": DEFICIT_ICON, "size": [width, height], "anchor": [width // 2, height // 2]},
        "pins": [{"title": p.title, "lat": p.lat, "lon": p.lon, "lang": p.lang} for p in pins],
    }


def areas_layer(
    areas: Sequence[AreaShade],
    names: LayerNames,
    *,
    layer_id: str,
    style: dict[str, Any],
    shaded: bool,
    highlight: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The areas as a GeoJSON layer whose tooltip shows the details `names` has labels for;
    `shaded`: filled by need decile."""
    fields = [f for f in DETAIL_FIELDS if f in names.details]
    return {
        "type": "areas",
        "id": layer_id,
        "name": names.need,
        "data": areas_collection(areas),
        "fields": fields,
        "labels": [names.details[f] for f in fields],
        "style": style,
        "fills": [NO_VALUE_COLOUR, *DECILE_COLOURS] if shaded else None,
        "highlight": highlight,
    }


def area_tiles_layer(
    areas: Sequence[AreaShade], names: LayerNames, *, level: str
) -> dict[str, Any]:
    """The areas of `level` as vector tiles filled by need decile: the page carries only
    each area's decile, gap category and tooltip figures, keyed by code (`areas`: code ->
    [decile or 0, gap or "", *the `extra` fields' words]); names and outlines come in tiles."""
    fields = [f for f in DETAIL_FIELDS if f in names.details]
    extra = [f for f in fields if f not in _TILE_GIVES]
    return {
        "type": "areaTiles",
        "id": "need",
        "name": names.need,
        "url": f"{AREA_TILES}?level={level}",
        "fields": fields,
        "labels": [names.details[f] for f in fields],
        "extra": extra,
        "areas": {
            a.code: [a.decile or 0, a.category or "", *(a.details.get(f, "") for f in extra)]
            for a in areas
        },
        "categoryWords": {a.category: a.details.get("category", "") for a in areas if a.category},
        "style": {"fillOpacity": 0.75, "color": "#ffffff", "weight": 0.8},
        "fills": [NO_VALUE_COLOUR, *DECILE_COLOURS],
        "highlight": {"weight": 3, "color": "#000000"},
    }


def need_layer(areas: Sequence[AreaShade], names: LayerNames) -> dict[str, Any]:
    """The areas filled by need decile, each with a tooltip of its details."""
    return areas_layer(
        areas,
        names,
        layer_id="need",
        style={"fillOpacity": 0.75, "color": "#ffffff", "weight": 0.8},
        shaded=True,
        highlight={"weight": 3, "color": "#000000"},
    )


def build_planner_map(
    areas: Sequence[AreaShade],
    pins: Sequence[GapPin],
    basemap: Basemap,
    *,
    names: LayerNames,
    lang: str,
    theme: str | None,
    asset_layers: Sequence[tuple[str, str]] = (),
    all_assets: tuple[str, Sequence[str]] | None = None,
    level: str | None = None,
) -> DataMap:
    """The overlay map: need deciles, gap categories over them (a copy of the need layer's
    outlines, made in the browser, so the page carries them once), reported gaps, one live
    layer of published assets per (kind, layer name) for the theme, off at first, and with
    `all_assets` (layer name, kinds) one layer of all those kinds, on from the start (one
    layer, so its clusters never overlap another's); a layer control. Over EMBED_MAX_AREAS
    areas of one `level`, the areas come as vector tiles (area_tiles_layer)."""
    m = new_map(basemap, label=names.label, lang=lang, bounds=bounds_of_areas(areas), max_zoom=15)
    if level is not None and len(areas) > EMBED_MAX_AREAS:
        m.add(area_tiles_layer(areas, names, level=level))
    else:
        m.add(need_layer(areas, names))
    m.add(
        {
            "type": "categories",
            "source": "need",
            "name": names.gaps,
            "show": theme is not None,
            "styles": category_styles(),
        }
    )
    m.add(pins_layer(pins, names.deficits))
    themes = [theme] if theme else None
    if all_assets is not None:
        name, kinds = all_assets
        m.add(live_assets_layer(name=name, lang=lang, kinds=list(kinds), themes=themes, show=True))
    for kind, layer_name in asset_layers:
        m.add(
            live_assets_layer(name=layer_name, lang=lang, kinds=[kind], themes=themes, show=False)
        )
    m.layer_control = True
    return m


def build_area_map(
    area: AreaShade,
    pins: Sequence[GapPin],
    basemap: Basemap,
    *,
    names: LayerNames,
    lang: str = "en",
    assets_layer: str | None = None,
) -> DataMap:
    """One area's outline (tooltip: its name) with the reported gaps in or near it; with an
    `assets_layer` name, the published assets in view too (a live layer, shown) and a layer
    control."""
    boxes = [area.geometry.bounds] + [(p.lon, p.lat, p.lon, p.lat) for p in pins]
    bounds = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    m = new_map(basemap, label=names.label, lang=lang, bounds=bounds, max_zoom=16)
    style = {"color": "#0b3d2e", "weight": 3, "fillColor": "#0b3d2e", "fillOpacity": 0.08}
    m.add(areas_layer([area], names, layer_id="area", style=style, shaded=False))
    m.add(pins_layer(pins, (names.deficits or None) if assets_layer else None))
    if assets_layer:
        m.add(live_assets_layer(name=assets_layer, lang=lang, show=True))
        m.layer_control = True
    return m


# ---- a static map for print --------------------------------------------------------------------


def static_map_svg(
    areas: Sequence[AreaShade],
    pins: Sequence[GapPin],
    *,
    label: str,
    show_categories: bool = True,
    width: int = 800,
) -> str:
    """The areas (by need decile, gap category patterns over them) and reported gaps as one
    inline SVG: a map that prints as it is, with no script. `label` names it for screen readers;
    each area and gap has a <title>."""
    bounds = bounds_of_areas(areas)
    if bounds is None:
        return ""
    minx, miny, maxx, maxy = bounds
    # Equirectangular, scaled by the cosine of the middle latitude: right for a county.
    kx = math.cos(math.radians((miny + maxy) / 2))
    span_x = max((maxx - minx) * kx, 1e-9)
    span_y = max(maxy - miny, 1e-9)
    scale = width / span_x
    height = max(1, round(span_y * scale))

    def point(x: float, y: float) -> str:
        return f"{(x - minx) * kx * scale:.1f} {(maxy - y) * scale:.1f}"

    def path(geom: BaseGeometry) -> str:
        simple = geom.simplify(SIMPLIFY_TOLERANCE, preserve_topology=True)
        parts = []
        for polygon in getattr(simple, "geoms", [simple]):
            for ring in [polygon.exterior, *polygon.interiors]:
                coords = list(ring.coords)
                parts.append("M" + " L".join(point(x, y) for x, y in coords) + "Z")
        return "".join(parts)

    out = [
        f'<svg class="planner-static-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for area in areas:
        name = html.escape(area.details.get("name", area.code))
        out.append(
            f'<path d="{path(area.geometry)}" fill="{decile_colour(area.decile)}" '
            f'stroke="#1b1b1b" '
            f'stroke-width="0.6"><title>{name}</title></path>'
        )
        if show_categories and area.category in CATEGORY_COLOURS:
            out.append(
                f'<path d="{path(area.geometry)}" fill="{pattern_fill(area.category)}" '
                f'stroke="{CATEGORY_COLOURS[area.category]}" stroke-width="1.5" '
                f'aria-hidden="true"/>'
            )
    for pin in pins:
        x, y = point(pin.lon, pin.lat).split()
        out.append(
            f'<g transform="translate({x} {y})"><title>{html.escape(pin.title)}</title>'
            '<path d="M0 -10 L10 7 L-10 7Z" fill="#ffffff" stroke="#1b1b1b" stroke-width="2"/>'
            '<path d="M0 -3 V2" stroke="#1b1b1b" stroke-width="2"/></g>'
        )
    out.append("</svg>")
    return "".join(out)
