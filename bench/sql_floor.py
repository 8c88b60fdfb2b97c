"""The in-database floor of a list page: one SQL statement building the whole FeatureCollection
with the database's own JSON functions (PostGIS json_build_object/json_agg/ST_AsGeoJSON;
SpatiaLite json_object/json_group_array/AsGeoJSON) over the same page statement's rows.

Nothing a server could do is cheaper than reading this one value: the API's p50 over this
floor's p50 is what the HTTP, FastAPI and our own SQL cost on top.
"""

from typing import Any

from sqlalchemy import Engine, Select, Text, cast, func, literal_column, select, type_coerce
from sqlalchemy.dialects import postgresql

from app.schemas.assets import PUBLIC_FIELDS

_JSON_COLUMNS = ("opening_hours", "accessibility", "languages")


def feature_collection_statement(engine: Engine, page: Select[Any]) -> Select[Any]:
    """SELECT <FeatureCollection JSON text> FROM (page): one row, one value."""
    rows = page.subquery("page")
    near = "distance_m" in rows.c
    order = [rows.c.distance_m, rows.c.id] if near else [rows.c.id]
    postgis = engine.dialect.name == "postgresql"
    if postgis:
        build, agg, array = func.json_build_object, func.json_agg, func.json_build_array
        area = cast(func.ST_AsGeoJSON(rows.c.service_area), postgresql.JSON)
        empty: Any = literal_column("'[]'::json")
    else:
        build, agg, array = func.json_object, func.json_group_array, func.json_array
        area = func.json(func.AsGeoJSON(rows.c.service_area))
        empty = func.json("[]")
    properties: list[Any] = []
    for name in PUBLIC_FIELDS:
        value: Any = rows.c[name]
        if name in _JSON_COLUMNS and not postgis:  # stored JSON text, not a string
            value = func.json(type_coerce(value, Text))
        properties += [name, value]
    properties += ["service_area", area]
    if near:
        properties += ["distance_m", rows.c.distance_m]
    point = build("type", "Point", "coordinates", array(rows.c.lon, rows.c.lat))
    feature = build(
        "type", "Feature", "id", rows.c.id, "geometry", point, "properties", build(*properties)
    )
    features = func.coalesce(agg(feature).aggregate_order_by(*order), empty)
    collection = build(
        "type", "FeatureCollection", "features", features, "numberReturned", func.count()
    )
    return select(cast(collection, Text)).select_from(rows)


def fetch_value(engine: Engine, stmt: Select[Any]) -> int:
    """Run the floor statement and read its one value; its length in characters."""
    with engine.connect() as connection:
        value = connection.execute(stmt).scalar()
    return len(value if isinstance(value, str) else str(value))
