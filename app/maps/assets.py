"""Maps of assets: the results of a search as markers, each named for screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass

from app.maps.base import Basemap, OfflineMap, new_map
from app.maps.text import marker, popup


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


def build_assets_map(pins: Sequence[AssetPin], basemap: Basemap, *, label: str) -> OfflineMap:
    """A map with a marker per pin (alt text and tooltip: the name; popup: name and link),
    fitted to the pins."""
    m = new_map(basemap, label=label, bounds=bounds_of(pins))
    for pin in pins:
        link = (pin.href, pin.link_text) if pin.href else None
        marker(pin.lat, pin.lon, pin.name, popup=popup(pin.name, link=link, lang=pin.lang)).add_to(
            m
        )
    return m
