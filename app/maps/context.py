"""The context layer: local-authority and area outlines with their names under every map, so
that a map says where it is even with no basemap (ASSETMAP_BASEMAP=none).

Loaded by viewport like the live layer: static/js/maps.js asks base.CONTEXT_API (every map's
data names it unless `DataMap.context` is off) for the outlines in view (small, simplified, the
same for every page and language, so browsers cache them) and draws thin lines, with the names
of the level the server labels as text (textContent).
"""

from collections.abc import Sequence
from typing import Any, Protocol

from shapely.geometry.base import BaseGeometry

from app.maps.planner import small_geometry


class Outline(Protocol):
    """An area to draw for orientation (app.services.needs.context.ContextArea)."""

    @property
    def code(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def name_en(self) -> str | None: ...
    @property
    def name_cy(self) -> str | None: ...
    @property
    def outline(self) -> BaseGeometry: ...
    @property
    def label_at(self) -> tuple[float, float]: ...


def context_collection(areas: Sequence[Outline], *, labelled_level: str | None) -> dict[str, Any]:
    """The areas (outlines simplified already) as a GeoJSON FeatureCollection, rounded to 5
    decimals; each feature's properties hold its names, level, whether its name is shown
    (`label`) and where (`labelAt`: lat, lon)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.code,
                "geometry": small_geometry(a.outline, tolerance=0.0),
                "properties": {
                    "name_en": a.name_en,
                    "name_cy": a.name_cy,
                    "level": a.level,
                    "label": a.level == labelled_level,
                    "labelAt": [round(a.label_at[1], 5), round(a.label_at[0], 5)],
                },
            }
            for a in areas
        ],
    }
