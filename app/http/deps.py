"""Request dependencies: database session, caller, and parsing of shared query parameters."""

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from app.errors import InvalidInput, PreconditionRequired
from app.services.assets.records import Near
from app.settings import Settings
from app.spatial import BBox
from app.spatial.geometry import check_lon_lat

# Ids are SQL INTEGER columns: a larger id in a path would overflow on PostGIS (a 500, not a 404).
MAX_ID = 2**31 - 1


def refuse_nul_characters(request: Request) -> None:
    """Refuse a NUL character in any query or path parameter, for every route.

    PostgreSQL cannot store or even compare text holding one: it would be a 500, not a 422.
    """
    params = [("query", k, v) for k, v in request.query_params.multi_items()]
    params += [("path", k, str(v)) for k, v in request.path_params.items()]
    for where, name, value in params:
        if "\x00" in name or "\x00" in value:
            raise InvalidInput((where, name), "must not contain NUL characters")


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for this request; rolled back unless the route committed."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


def _numbers(name: str, text: str, count: int) -> list[float]:
    parts = text.split(",")
    if len(parts) != count:
        raise InvalidInput(("query", name), f"needs {count} comma-separated numbers")
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise InvalidInput(("query", name), f"needs {count} comma-separated numbers") from exc
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput(("query", name), "numbers must be finite")
    return values


def parse_point(name: str, text: str) -> tuple[float, float]:
    """A lon,lat query parameter, checked (422 naming the parameter otherwise)."""
    lon, lat = _numbers(name, text, 2)
    try:
        check_lon_lat(lon, lat)
    except ValueError as exc:
        raise InvalidInput(("query", name), str(exc)) from exc
    return lon, lat


def parse_moment(name: str, text: str | None) -> datetime | None:
    """The date-time in query parameter `name`, in UTC (None when not given); only RFC 3339
    text with a time zone (numbers, which pydantic would read as Unix times, and local times
    are refused with a 422 naming the parameter)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.upper())
        if "T" in text.upper() and value.tzinfo is not None:
            return value.astimezone(UTC)
    except (ValueError, OverflowError):
        pass  # refused below, like a time without a zone
    raise InvalidInput(
        ("query", name), "an RFC 3339 date-time with a time zone, e.g. 2025-01-31T09:00:00Z"
    )


def get_bbox(
    settings: SettingsDep,
    bbox: Annotated[
        str | None,
        Query(
            description="minlon,minlat,maxlon,maxlat (WGS84)",
            pattern=r"^[^,]+,[^,]+,[^,]+,[^,]+$",
            max_length=200,
        ),
    ] = None,
) -> BBox | None:
    """The bbox filter, checked: in range, not inverted, not larger than allowed."""
    if bbox is None:
        return None
    minx, miny, maxx, maxy = _numbers("bbox", bbox, 4)
    try:
        check_lon_lat(minx, miny)
        check_lon_lat(maxx, maxy)
    except ValueError as exc:
        raise InvalidInput(("query", "bbox"), str(exc)) from exc
    if minx > maxx or miny > maxy:
        raise InvalidInput(("query", "bbox"), "inverted: min must not exceed max")
    limit = settings.max_bbox_degrees
    if maxx - minx > limit or maxy - miny > limit:
        raise InvalidInput(("query", "bbox"), f"larger than {limit} degrees across")
    return BBox(minx, miny, maxx, maxy)


BBoxDep = Annotated[BBox | None, Depends(get_bbox)]


def get_near(
    settings: SettingsDep,
    near: Annotated[
        str | None,
        Query(description="lon,lat: nearest first, within radius_m", max_length=100),
    ] = None,
    radius_m: Annotated[
        float | None, Query(gt=0, description="search radius in metres (default 1000)")
    ] = None,
) -> Near | None:
    """The near-me filter: a point and a radius in metres."""
    if near is None:
        if radius_m is not None:
            raise InvalidInput(("query", "radius_m"), "radius_m needs near=lon,lat")
        return None
    lon, lat = parse_point("near", near)
    radius = 1000.0 if radius_m is None else radius_m
    if not math.isfinite(radius) or radius > settings.max_radius_m:
        raise InvalidInput(("query", "radius_m"), f"must be at most {settings.max_radius_m:g} m")
    return Near(lon, lat, radius)


NearDep = Annotated[Near | None, Depends(get_near)]


class Format(StrEnum):
    """Output formats."""

    json = "json"
    geojson = "geojson"
    csv = "csv"


def get_format(
    request: Request,
    f: Annotated[Format | None, Query(description="json (default), geojson or csv")] = None,
) -> Format:
    """The output format: `f`, else the Accept header, else JSON."""
    if f is not None:
        return f
    accept = request.headers.get("accept", "")
    if "application/geo+json" in accept:
        return Format.geojson
    if "text/csv" in accept:
        return Format.csv
    return Format.json


FormatDep = Annotated[Format, Depends(get_format)]

_ETAG = re.compile(r'^(?:W/)?"([a-z])(\d+)-v(\d+)"$')


def entity_etag(prefix: str, entity_id: int, version: int) -> str:
    """The ETag of one version of an entity (prefix: 'a' asset, 'd' deficit)."""
    return f'"{prefix}{entity_id}-v{version}"'


def etag(asset_id: int, version: int) -> str:
    """The ETag of one version of an asset."""
    return entity_etag("a", asset_id, version)


def get_if_match(
    if_match: Annotated[
        str | None, Header(description="ETag from GET; required to change or delete")
    ] = None,
) -> str:
    """The raw If-Match header; a write without one is refused (428)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("send If-Match with the ETag from GET")
    return if_match


def expected_entity_version(if_match: str, prefix: str, entity_id: int) -> int | None:
    """The version an If-Match header asks for (None for '*'); -1 when it names another entity."""
    if if_match.strip() == "*":
        return None
    for candidate in if_match.split(","):
        match = _ETAG.match(candidate.strip())
        if match and match.group(1) == prefix and int(match.group(2)) == entity_id:
            return int(match.group(3))
    return -1


def expected_version(if_match: str, asset_id: int) -> int | None:
    """The version an If-Match header asks for (None for '*'); -1 when it names another asset."""
    return expected_entity_version(if_match, "a", asset_id)


IfMatchDep = Annotated[str, Depends(get_if_match)]
