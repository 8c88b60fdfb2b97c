"""What areas and analyses look like on the way out."""

from typing import Any

from pydantic import BaseModel

from app.models import Area
from app.spatial.geometry import geojson, geometry_from_db


class AreaRead(BaseModel):
    """An area without its polygon (JSON); GeoJSON output carries the polygon."""

    code: str
    level: str
    name_en: str | None
    name_cy: str | None
    population: int | None
    parent_code: str | None
    centroid: dict[str, Any]
    centroid_kind: str
    bbox: list[float]


class AreaList(BaseModel):
    """A page of areas."""

    items: list[AreaRead]
    numberReturned: int
    next: str | None


def area_json(area: Area) -> dict[str, Any]:
    """An area as the JSON object of AreaRead."""
    centroid = geometry_from_db(area.centroid)
    return {
        "code": area.code,
        "level": area.level,
        "name_en": area.name_en,
        "name_cy": area.name_cy,
        "population": area.population,
        "parent_code": area.parent_code,
        "centroid": {"type": "Point", "coordinates": [centroid.x, centroid.y]},
        "centroid_kind": area.centroid_kind,
        "bbox": list(geometry_from_db(area.geom).bounds),
    }


def area_feature(area: Area) -> dict[str, Any]:
    """An area as a GeoJSON Feature with its polygon."""
    properties = area_json(area)
    return {
        "type": "Feature",
        "id": area.code,
        "geometry": geojson(geometry_from_db(area.geom)),
        "properties": properties,
    }


def row_features(rows: list[dict[str, Any]], id_field: str = "area_code") -> list[dict[str, Any]]:
    """Analysis rows that carry a shapely `geometry` as GeoJSON Features."""
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k != "geometry"}
        features.append(
            {
                "type": "Feature",
                "id": row[id_field],
                "geometry": geojson(row.get("geometry")),
                "properties": properties,
            }
        )
    return features
