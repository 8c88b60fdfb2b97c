"""Maps of assets: the results of a search as markers, each named for screen readers and
numbered as the page lists them, and the point searched from as a marker of its own."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.maps.base import Basemap, DataMap, new_map


@dataclass(frozen=True)
class AssetPin:
    """One asset on a map: its name (in `lang`, which may differ from the page's), place and,
    when it has a page, that page's path and link text; `number`: its number in the page's
    list of results (drawn on the marker), if the page numbers them."""

    name: str
    lon: float
    lat: float
    lang: str
    href: str | None = None
    link_text: str = ""
    number: int | None = None


@dataclass(frozen=True)
class SearchedPoint:
    """Where a search was made from (a postcode, place or the person's location): its point,
    what a screen reader calls its marker, and the distance searched within (metres)."""

    lon: float
    lat: float
    label: str
    radius_m: float | None = None


SEARCHED_ICON = "/static/img/searched-here.svg"
SEARCHED_ICON_SIZE = (32, 32)
# Metres in a degree of latitude (and of longitude at the equator), near enough for a box.
_M_PER_DEGREE = 111_320.0


def bounds_of(
    pins: Sequence[AssetPin], searched: SearchedPoint | None = None
) -> tuple[float, float, float, float] | None:
    """The lon/lat box around the pins and the circle searched within (None when there is
    neither)."""
    lons, lats = [p.lon for p in pins], [p.lat for p in pins]
    if searched is not None:
        dlat = (searched.radius_m or 0) / _M_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(searched.lat)), 0.01)
        lons += [searched.lon - dlon, searched.lon + dlon]
        lats += [searched.lat - dlat, searched.lat + dlat]
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def searched_layer(point: SearchedPoint) -> dict[str, Any]:
    """The point searched from as one marker unlike an asset's (alt text and tooltip:
    `label`), with the circle searched within when there is a radius."""
    width, height = SEARCHED_ICON_SIZE
    return {
        "type": "searched",
        "lat": point.lat,
        "lon": point.lon,
        "label": point.label,
        "radius": point.radius_m,
        "icon": {
            "url": SEARCHED_ICON,
            "size": [width, height],
            "anchor": [width // 2, height // 2],
        },
    }


# Markers closer than this on screen are drawn as one numbered marker: overlapping markers hide
# each other from pointers and touch (WCAG 2.5.8); it zooms in to them, or spreads them out at
# the closest zoom.
STACK_PX = 24
# Numbered markers are 28 px discs: 40 px apart (or stacked), no two overlap however placed.
NUMBERED_STACK_PX = 40


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
    searched: SearchedPoint | None = None,
) -> DataMap:
    """A map with a marker per pin (alt text and tooltip: the name, after its number when it
    has one; popup: name and link) and, when given, the point `searched` from, fitted to
    both; markers that would overlap are stacked (`stack_label`: what a screen reader says
    before a stack's count, e.g. "Places here")."""
    m = new_map(basemap, label=label, lang=lang, bounds=bounds_of(pins, searched))
    m.add(
        {
            "type": "markers",
            "stackLabel": stack_label,
            "stackRadius": NUMBERED_STACK_PX if any(p.number for p in pins) else STACK_PX,
            "pins": [
                {
                    "name": p.name,
                    "lat": p.lat,
                    "lon": p.lon,
                    "lang": p.lang,
                    "href": _link(p),
                    "linkText": p.link_text,
                    "number": p.number,
                }
                for p in pins
            ],
        }
    )
    if searched is not None:
        m.add(searched_layer(searched))
    return m
