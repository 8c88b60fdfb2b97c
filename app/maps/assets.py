"""Maps of assets: the results of a search as markers, each named for screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass

from app.maps.base import Basemap, OfflineMap, OfflineMarkerCluster, new_map
from app.maps.text import js_string, marker, popup


@dataclass(frozen=True)
class AssetPin:
    """One asset on a map: its name (in `lang`, which may differ from the page's), place and,
    when it has a page, that page's path and link text."""

    name: str
    lon: float
    lat: float
    lang: str
    href: str | None = None
    link_text: str = ""


def bounds_of(pins: Sequence[AssetPin]) -> tuple[float, float, float, float] | None:
    """The lon/lat box around the pins (None when there are none)."""
    if not pins:
        return None
    lons, lats = [p.lon for p in pins], [p.lat for p in pins]
    return min(lons), min(lats), max(lons), max(lats)


# Markers closer than this on screen are drawn as one numbered marker: overlapping markers hide
# each other from pointers and touch (WCAG 2.5.8); it zooms in to them, or spreads them out at
# the closest zoom.
STACK_PX = 24
LIVE_LAYER_CSS = ("assetmap_live_layer_css", "/static/css/live-layer.css")


def stack_icon(label: str) -> str:
    """The JavaScript that draws a stack of markers: its count, and `label: count` for screen
    readers (DOM text only; the label is a JavaScript string with its braces escaped)."""
    return f"""function (cluster) {{
        var n = cluster.getChildCount();
        var box = document.createElement("span");
        var said = document.createElement("span");
        said.className = "visually-hidden";
        said.textContent = {js_string(label)} + ": " + n;
        var shown = document.createElement("span");
        shown.setAttribute("aria-hidden", "true");
        shown.textContent = String(n);
        box.appendChild(said);
        box.appendChild(shown);
        return L.divIcon({{html: box, className: "live-cluster", iconSize: [30, 30]}});
    }}"""


def build_assets_map(
    pins: Sequence[AssetPin], basemap: Basemap, *, label: str, stack_label: str
) -> OfflineMap:
    """A map with a marker per pin (alt text and tooltip: the name; popup: name and link),
    fitted to the pins; markers that would overlap are stacked (`stack_label`: what a screen
    reader says before a stack's count, e.g. "Places here")."""
    m = new_map(basemap, label=label, bounds=bounds_of(pins))
    stack = OfflineMarkerCluster(
        icon_create_function=stack_icon(stack_label),
        options={"maxClusterRadius": STACK_PX, "showCoverageOnHover": False},
    )
    stack.default_css.append(LIVE_LAYER_CSS)
    stack.add_to(m)
    for pin in pins:
        link = (pin.href, pin.link_text) if pin.href else None
        marker(pin.lat, pin.lon, pin.name, popup=popup(pin.name, link=link, lang=pin.lang)).add_to(
            stack
        )
    return m
