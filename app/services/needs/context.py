"""The areas a map shows for orientation: local-authority and smaller areas' outlines with
their names, so that a map without a basemap (ASSETMAP_BASEMAP=none) still says where it is.

Outlines are simplified once per process and kept until the areas change (an import), so a
view costs a box test over a few thousand areas, not a query of their full geometries.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Area
from app.services.needs.shapes import area_shapes, areas_state
from app.spatial import BBox

# Outlines: ~70 m for a local authority (seen whole), ~20-35 m for smaller areas; from
# CLOSE_FROM_ZOOM (a street or two across) ~3-5 m, where coarser lines cut through houses.
TOLERANCE = {"local_authority": 0.001}
DEFAULT_TOLERANCE = 0.0003
CLOSE_TOLERANCE = 0.00005
CLOSE_FROM_ZOOM = 15
# A name goes inside the view, this share of its width or height from the edges.
LABEL_INSET = 0.1
# The smaller areas a view shows: from this zoom the middle level (ward, MSOA), from the next
# the smallest (LSOA); a level with more areas than MAX_AREAS in view is left out.
MIDDLE_FROM_ZOOM = 11
SMALLEST_FROM_ZOOM = 14
MAX_AREAS = 300
MIDDLE_LEVELS = ("ward", "msoa")
SMALLEST_LEVELS = ("lsoa", "custom")


def tolerance_of(level: str) -> float:
    """How far (degrees) an outline of this level may stray from the area's boundary."""
    return TOLERANCE.get(level, DEFAULT_TOLERANCE)


@dataclass(frozen=True)
class ContextArea:
    """An area as a map's context: its code, level, names, simplified outline (and a closer
    one for close zooms), where its name goes (lon, lat, inside it) and its lon/lat box."""

    code: str
    level: str
    name_en: str | None
    name_cy: str | None
    outline: BaseGeometry
    label_at: tuple[float, float]
    bounds: tuple[float, float, float, float]
    close_outline: BaseGeometry | None = None


@dataclass(frozen=True)
class ContextView:
    """The areas of one view: the outlines to draw and which level's names to show."""

    areas: list[ContextArea]
    labelled_level: str | None


class _Outlines:
    """Every area's simplified outline, made once per process and per state of the areas."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._areas: list[ContextArea] = []

    def get(self, session: Session) -> list[ContextArea]:
        key = areas_state(session)  # cheap to ask every time
        with self._lock:
            if key != self._key:
                self._areas = _load(session)
                self._key = key
            return self._areas


_OUTLINES = _Outlines()


def _load(session: Session) -> list[ContextArea]:
    rows = session.execute(select(Area.id, Area.code, Area.level, Area.name_en, Area.name_cy)).all()
    shapes = area_shapes(session, [row.id for row in rows])
    areas = []
    for area_id, code, level, name_en, name_cy in rows:
        shape = shapes.get(area_id)
        if shape is None or shape.is_empty:
            continue
        inside = shape.representative_point()
        outline = shape.simplify(tolerance_of(level), preserve_topology=True)
        close = shape.simplify(CLOSE_TOLERANCE, preserve_topology=True)
        areas.append(
            ContextArea(
                code, level, name_en, name_cy, outline, (inside.x, inside.y), shape.bounds, close
            )
        )
    return areas


def _in_view(area: ContextArea, bbox: BBox, zoom: int) -> ContextArea:
    """The area as this view draws it: its close outline from CLOSE_FROM_ZOOM, and its name
    moved inside the view when its usual place is outside (or near the edge)."""
    outline = area.outline
    if zoom >= CLOSE_FROM_ZOOM and area.close_outline is not None:
        outline = area.close_outline
    dx, dy = (bbox.maxx - bbox.minx) * LABEL_INSET, (bbox.maxy - bbox.miny) * LABEL_INSET
    inner = shapely.box(bbox.minx + dx, bbox.miny + dy, bbox.maxx - dx, bbox.maxy - dy)
    label_at = area.label_at
    if not inner.contains(shapely.Point(label_at)):
        seen = outline.intersection(inner)
        if not seen.is_empty:
            point = seen.representative_point()
            label_at = (point.x, point.y)
    return replace(area, outline=outline, label_at=label_at)


def _overlaps(a: tuple[float, float, float, float], box: BBox) -> bool:
    return a[0] <= box.maxx and a[2] >= box.minx and a[1] <= box.maxy and a[3] >= box.miny


def _finest(areas: Sequence[ContextArea], levels: Sequence[str]) -> list[ContextArea]:
    """The areas of the first of `levels` that has any."""
    for level in levels:
        found = [a for a in areas if a.level == level]
        if found:
            return found
    return []


def context_areas(session: Session, *, bbox: BBox, zoom: int) -> ContextView:
    """The areas to draw for orientation in a view: local authorities always; from zoom 11
    the wards or MSOAs, from zoom 14 the LSOAs (at most MAX_AREAS of a level in view, else the
    level above). Names go on the smallest level shown (on local authorities when alone)."""
    in_view = [a for a in _OUTLINES.get(session) if _overlaps(a.bounds, bbox)]
    shown = [a for a in in_view if a.level == "local_authority"]
    labelled = "local_authority" if shown else None
    steps = [(MIDDLE_FROM_ZOOM, MIDDLE_LEVELS), (SMALLEST_FROM_ZOOM, SMALLEST_LEVELS)]
    detail: list[ContextArea] = []
    for from_zoom, levels in steps:
        finer = _finest(in_view, levels)
        if zoom >= from_zoom and finer and len(finer) <= MAX_AREAS:
            detail = finer
    if not detail and not shown:
        # No local authority held (e.g. only LSOAs): the largest level that fits in view.
        for levels in (MIDDLE_LEVELS, SMALLEST_LEVELS):
            finer = _finest(in_view, levels)
            if finer and len(finer) <= MAX_AREAS:
                detail = finer
                break
    if detail:
        labelled = detail[0].level
    return ContextView([_in_view(a, bbox, zoom) for a in shown + detail], labelled)
