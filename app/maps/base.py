"""The one way to make a folium map here: Leaflet from this server only, fitted into a page.

folium's Map loads about a dozen files from CDNs (Leaflet, jQuery, Bootstrap, Font Awesome,
awesome-markers...), writes a viewport meta that forbids zooming and styles `html, body` as a
full-screen map. `OfflineMap` loads only Leaflet from /static/vendor (scripts/vendor-web.sh puts
it there) and leaves the page to the page shell; `page_parts` splits a map into what goes in
<head>, in <main> and at the end of <body>. Don't use folium.Icon (awesome-markers, not
served): use Leaflet's default marker, CircleMarker or DivIcon.
"""

from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure
from folium.plugins import MarkerCluster
from folium.template import Template

from app.maps.text import map_text
from app.settings import Settings

VENDOR = "/static/vendor"
LEAFLET_JS = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [
    ("markerclustercss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css"),
]
# The first and last zoom a basemap usually has tiles for; markers fit within these.
MAX_ZOOM = 18


@dataclass(frozen=True)
class Basemap:
    """Where basemap tiles come from (url None: no basemap, the data on a plain background)."""

    url: str | None = None
    attribution: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Basemap":
        """The basemap the settings name (ASSETMAP_BASEMAP_TILE_URL, ..._ATTRIBUTION)."""
        return cls(settings.basemap_tile_url, settings.basemap_attribution)


class OfflineMap(folium.Map):
    """A folium Map that loads only Leaflet, from this server, and sizes itself by the page CSS."""

    default_js = LEAFLET_JS
    default_css = LEAFLET_CSS
    # folium's own template, less the full-screen styles and the unzoomable viewport in the
    # header, with a label for screen readers, and no jQuery for keep_in_front.
    _template = Template(
        """
        {% macro header(this, kwargs) %}{% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }}
                 role="region" aria-label="{{ this.label_html }}"></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{this.options|tojavascript}}
                }
            );
            {%- if this.control_scale %}
            L.control.scale().addTo({{ this.get_name() }});
            {%- endif %}
            {%- if this.zoom_control_position %}
            L.control.zoom({position: {{ this.zoom_control|tojson }}}).addTo({{ this.get_name() }});
            {%- endif %}
            {% if this.objects_to_stay_in_front %}
            function objects_in_front() {
                {%- for obj in this.objects_to_stay_in_front %}
                    {{ obj.get_name() }}.bringToFront();
                {%- endfor %}
            };
            {{ this.get_name() }}.on("overlayadd", objects_in_front);
            objects_in_front();
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label
        # Escaped here, braces too: branca renders this output again as a Jinja template.
        self.label_html = map_text(label)
        # Copies: folium's add_js_link changes the list in place, which would change every map.
        self.default_js = list(LEAFLET_JS)
        self.default_css = list(LEAFLET_CSS)


class OfflineMarkerCluster(MarkerCluster):
    """folium's MarkerCluster with leaflet.markercluster from this server."""

    default_js = CLUSTER_JS
    default_css = CLUSTER_CSS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_js = list(CLUSTER_JS)
        self.default_css = list(CLUSTER_CSS)


def new_map(
    basemap: Basemap,
    *,
    label: str,
    bounds: tuple[float, float, float, float] | None = None,
    max_zoom: int = 16,
) -> OfflineMap:
    """An empty map with the basemap (if any), fitted to lon/lat bounds (minlon, minlat, maxlon,
    maxlat) when given; `label` names the map for screen readers."""
    m = OfflineMap(label=label, tiles=None, location=None, max_zoom=MAX_ZOOM, control_scale=True)
    # folium gives the zoom limit only to a tile layer; with no basemap the map needs it itself
    # (leaflet.markercluster refuses a map without one).
    m.options["maxZoom"] = MAX_ZOOM
    if basemap.url:
        folium.TileLayer(
            tiles=basemap.url, attr=basemap.attribution, max_zoom=MAX_ZOOM, control=False
        ).add_to(m)
    if bounds is not None:
        minlon, minlat, maxlon, maxlat = bounds
        m.fit_bounds([[minlat, minlon], [maxlat, maxlon]], max_zoom=max_zoom, padding=(24, 24))
    return m


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for a page: links for <head>, the map element, and its script."""

    head: str
    html: str
    script: str


def page_parts(m: folium.Map) -> MapParts:
    """Render the map and split it into what the page shell puts in <head>, <main> and a final
    <script> (folium's own document, with its <html> and <body>, is not used)."""
    figure = m.get_root()
    assert isinstance(figure, Figure)
    figure.render()
    # branca adds a <meta http-equiv> for its own document; the page shell has its charset.
    head = "\n".join(
        child.render() for name, child in figure.header._children.items() if name != "meta_http"
    )
    return MapParts(head=head, html=figure.html.render(), script=figure.script.render())
