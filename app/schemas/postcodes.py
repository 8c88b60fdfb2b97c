"""What a postcode lookup returns: the centroid as GeoJSON and the area it is in."""

from typing import Any

from pydantic import BaseModel, Field

from app.schemas.assets import PointOut
from app.services.needs.postcodes import PostcodeLookup
from app.spatial.geometry import point_geojson


class AreaRef(BaseModel):
    """An area, named: its code, English and Welsh names and level."""

    code: str
    name_en: str | None
    name_cy: str | None
    level: str


class PostcodeRead(BaseModel):
    """A postcode (normalised), its centroid and the area that holds it (null if none)."""

    postcode: str = Field(examples=["CF10 1AA"])
    location: PointOut
    area: AreaRef | None


def postcode_json(found: PostcodeLookup) -> dict[str, Any]:
    """The JSON body of a postcode lookup."""
    area = found.area
    return {
        "postcode": found.postcode,
        "location": point_geojson(found.lon, found.lat),
        "area": None
        if area is None
        else {
            "code": area.code,
            "name_en": area.name_en,
            "name_cy": area.name_cy,
            "level": area.level,
        },
    }
