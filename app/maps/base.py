"""The one way to make a map here: its data as JSON, drawn in the browser by static/js/maps.js.

A map is a `DataMap`: plain data (a label, the basemap, the bounds to fit, the words of its
controls, layers: areas, markers, live layers..., and whether it loads the context layer of
area outlines and names, app/maps/context.py). `page_parts` gives a page the <head>
links (Leaflet and plugins from /static/vendor, then maps.js), and the map element followed by
its data as a JSON data island, `<script type="application/json">`, which the browser never runs.
maps.js reads the island with JSON.parse and builds the layers, popups, tooltips and alt texts
with Leaflet's APIs and `textContent`: text from the database or a file is data, never HTML and
never part of a template (folium/branca rendered each map script twice, the second time as
Jinja, so template syntax in a name ran on the server; nothing here goes through a template
engine).
"""

from dataclasses import dataclass, field
from typing import Any

import orjson
from markupsafe import Markup, escape

from app.i18n import translations
from app.settings import Settings

VENDOR = "/static/vendor"
LEAFLET_JS = f"{VENDOR}/leaflet/leaflet.js"
LEAFLET_CSS = f"{VENDOR}/leaflet/leaflet.css"
CLUSTER_JS = f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js"
CLUSTER_CSS = (
    f"{VENDOR}/leaflet.markercluster/MarkerCluster.css",
    f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css",
)
VECTORGRID_JS = f"{VENDOR}/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
# Vector tiles of area outlines (app/api/tiles.py), styled by the page's data.
AREA_TILES = "/tiles/areas/{z}/{x}/{y}.mvt"
LIVE_LAYER_JS = "/static/js/live-layer.js"
LIVE_LAYER_CSS = "/static/css/live-layer.css"
MAPS_JS = "/static/js/maps.js"
# Where maps.js loads the context layer's area outlines for a view (app/maps/context.py).
CONTEXT_API = "/api/v1/map/context"
# The widest view (degrees) the map APIs take (ASSETMAP_MAX_BBOX_DEGREES' default).
MAX_VIEW_DEGREES = 10.0
# The last zoom a basemap usually has tiles for; markers fit within it.
MAX_ZOOM = 18
# What each layer type needs besides Leaflet (scripts, stylesheets), loaded in <head>.
_LAYER_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "markers": ((CLUSTER_JS,), (*CLUSTER_CSS, LIVE_LAYER_CSS)),
    "live": ((LIVE_LAYER_JS,), (LIVE_LAYER_CSS,)),
    "areaTiles": ((VECTORGRID_JS,), ()),
}
# JSON made safe inside a <script> element: no `</script>`, `<!--` or entity can form.
_SCRIPT_SAFE = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


@dataclass(frozen=True)
class Basemap:
    """Where basemap tiles come from (url None: no basemap, the data on a plain background),
    and their credit: plain text, linked to `attribution_url` when there is one."""

    url: str | None = None
    attribution: str | None = None
    attribution_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Basemap":
        """The basemap the settings name (ASSETMAP_BASEMAP: osm, none or a tile URL)."""
        text, link = settings.basemap_credit
        return cls(settings.basemap_tiles, text or None, link)


def control_words(lang: str) -> dict[str, str]:
    """The titles of Leaflet's own controls (English in Leaflet) in the page's language."""
    _ = translations(lang).gettext
    return {"zoomIn": _("Zoom in"), "zoomOut": _("Zoom out"), "layers": _("Layers")}


@dataclass
class DataMap:
    """A map as data: what maps.js draws. Layers are dicts with a `type` (see maps.js)."""

    label: str
    basemap: Basemap
    lang: str = "en"
    bounds: tuple[float, float, float, float] | None = None
    fit_max_zoom: int = 16
    layers: list[dict[str, Any]] = field(default_factory=list)
    layer_control: bool = False
    # Area outlines and names under the layers, loaded by viewport (off: the map has none).
    context: bool = True

    def add(self, layer: dict[str, Any]) -> None:
        """Add a layer (drawn in order, the last on top)."""
        self.layers.append(layer)

    def data(self) -> dict[str, Any]:
        """What the page's data island holds (JSON-ready)."""
        bounds = None
        if self.bounds is not None:
            minlon, minlat, maxlon, maxlat = self.bounds
            bounds = [[minlat, minlon], [maxlat, maxlon]]
        basemap = None
        if self.basemap.url:
            basemap = {
                "url": self.basemap.url,
                "attribution": self.basemap.attribution or "",
                "attributionUrl": self.basemap.attribution_url,
            }
        return {
            "lang": self.lang,
            "basemap": basemap,
            "bounds": bounds,
            "fitMaxZoom": self.fit_max_zoom,
            "maxZoom": MAX_ZOOM,
            "words": control_words(self.lang),
            "layers": self.layers,
            "layerControl": self.layer_control,
            "context": (
                {"api": CONTEXT_API, "lang": self.lang, "maxDegrees": MAX_VIEW_DEGREES}
                if self.context
                else None
            ),
        }


def new_map(
    basemap: Basemap,
    *,
    label: str,
    lang: str = "en",
    bounds: tuple[float, float, float, float] | None = None,
    max_zoom: int = 16,
) -> DataMap:
    """An empty map with the basemap (if any), fitted to lon/lat bounds (minlon, minlat, maxlon,
    maxlat) when given, zoomed in no further than `max_zoom`; `label` names the map for screen
    readers, `lang` is the page's language (the controls' words)."""
    return DataMap(label=label, basemap=basemap, lang=lang, bounds=bounds, fit_max_zoom=max_zoom)


def script_json(value: Any) -> str:
    """JSON text that is safe as the content of a <script> element (<, >, & as \\u escapes)."""
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    for unsafe, safe in _SCRIPT_SAFE:
        text = text.replace(unsafe, safe)
    return text.decode()


@dataclass(frozen=True)
class MapParts:
    """A map for a page: the links for <head>, and the map element with its data island."""

    head: Markup
    html: Markup
    element_id: str


def page_parts(m: DataMap, element_id: str = "map") -> MapParts:
    """The map as page parts: `head` (scripts and stylesheets of this server, maps.js last) and
    `html` (the map element, labelled for screen readers, then its JSON data island)."""
    scripts, styles = [LEAFLET_JS], [LEAFLET_CSS]
    for layer in m.layers:
        more_scripts, more_styles = _LAYER_NEEDS.get(layer["type"], ((), ()))
        scripts += [s for s in more_scripts if s not in scripts]
        styles += [s for s in more_styles if s not in styles]
    scripts.append(MAPS_JS)
    head = "\n".join(
        [f'<link rel="stylesheet" href="{escape(s)}">' for s in styles]
        + [f'<script src="{escape(s)}"></script>' for s in scripts]
    )
    data_id = f"{element_id}-data"
    html = (
        f'<div class="folium-map" id="{escape(element_id)}" role="region" '
        f'aria-label="{escape(m.label)}" data-map-data="{escape(data_id)}"></div>\n'
        f'<script type="application/json" id="{escape(data_id)}">{script_json(m.data())}</script>'
    )
    return MapParts(head=Markup(head), html=Markup(html), element_id=element_id)
