"""Maps of assets: the results of a search as markers, each named for screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass

from app.maps.base import Basemap, DataMap, new_map


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


def _link(pin: AssetPin) -> str | None:
    if pin.href is None:
        return None
    if not pin.href.startswith("/") or pin.href.startswith("//"):
        raise ValueError(f"popup links go to this site only (a /path), not {pin.href!r}")
    return pin.href


def build_assets_map(
    pins: Sequence[AssetPin],
    basemap: Basemap,
    *,
    label: str,
    stack_label: str,
    lang: str = "en",
) -> DataMap:
    """A map with a marker per pin (alt text and tooltip: the name; popup: name and link),
    fitted to the pins; markers that would overlap are stacked (`stack_label`: what a screen
    reader says before a stack's count, e.g. "Places here")."""
    m = new_map(basemap, label=label, lang=lang, bounds=bounds_of(pins))
    m.add(
        {
            "type": "markers",
            "stackLabel": stack_label,
            "stackRadius": STACK_PX,
            "pins": [
                {
                    "name": p.name,
                    "lat": p.lat,
                    "lon": p.lon,
                    "lang": p.lang,
                    "href": _link(p),
                    "linkText": p.link_text,
                }
                for p in pins
            ],
        }
    )
    return m
