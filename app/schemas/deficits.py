"""What service deficits look like on the way in (validated) and out (JSON, GeoJSON, CSV).

`reporter` may name a person: records carry it only for viewers allowed to see it (the service
decides), and the renderers print it only when the record carries it.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, NotRequired, TypedDict
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from shapely.geometry.base import BaseGeometry

from app.formats import csv
from app.models import DEFICIT_STATUSES
from app.schemas.assets import (
    THEME_CODE,
    AreaIn,
    Description,
    Name,
    PointIn,
    PointOut,
    _blank_to_none,
    _iso,
    _no_control_chars,
)
from app.schemas.schedules import refuse_numbers
from app.spatial.geometry import geojson, point_geojson

DeficitStatus = Literal["open", "addressed"]
assert set(DEFICIT_STATUSES) == set(DeficitStatus.__args__)  # type: ignore[attr-defined]
ThemeCode = Annotated[str, Field(max_length=40, pattern=THEME_CODE)]
Severity = Annotated[int, Field(ge=1, le=5, description="1 (minor) to 5 (severe)")]
# Spelled out (not assets' _text(200)) so that mypy sees a type: blank -> None, no control chars.
ShortText = Annotated[
    Annotated[str, Field(max_length=200), AfterValidator(_no_control_chars)] | None,
    BeforeValidator(_blank_to_none),
]
# Deficits are reported in Wales: "the future" starts tomorrow there, not tomorrow in UTC.
WALES = ZoneInfo("Europe/London")


def today_in_wales() -> date:
    """Today's date in Wales."""
    return datetime.now(WALES).date()


def _not_future(value: date | None) -> date | None:
    if value is not None and value > today_in_wales():
        raise ValueError("must not be in the future")
    return value


ReportedOn = Annotated[date | None, BeforeValidator(refuse_numbers), AfterValidator(_not_future)]


class _DeficitFields(BaseModel):
    """Fields a writer may set; shared by create and update."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=5000)

    title_en: Name = None
    title_cy: Name = None
    description_en: Description = None
    description_cy: Description = None
    reporter: ShortText = Field(
        None, description="Who reported it (may name a person: shown only to writers)"
    )
    area: AreaIn | None = Field(None, description="GeoJSON Polygon or MultiPolygon (WGS84)")


class DeficitCreate(_DeficitFields):
    """A new deficit: a theme, a title (en or cy), a severity, and a location and/or an area."""

    theme: ThemeCode = Field(description="theme code (see /api/v1/themes)")
    severity: Severity
    status: DeficitStatus | None = Field(None, description="open (default) or addressed")
    reported_on: ReportedOn = Field(None, description="when it was reported (default: today)")
    location: PointIn | None = Field(None, description="GeoJSON Point (WGS84)")
    source: ShortText = None
    source_id: ShortText = None

    @model_validator(mode="after")
    def _complete(self) -> "DeficitCreate":
        if not (self.title_en or self.title_cy):
            raise PydanticCustomError("no_title", "give at least one of title_en or title_cy")
        if self.location is None and self.area is None:
            raise PydanticCustomError("no_place", "give a location (Point) or an area (Polygon)")
        if self.source_id and not self.source:
            raise PydanticCustomError("no_source", "source_id needs source")
        return self


class DeficitUpdate(_DeficitFields):
    """A partial change: only the fields sent change; null clears an optional field."""

    theme: ThemeCode | None = None
    severity: Severity | None = None
    status: DeficitStatus | None = None
    reported_on: ReportedOn = None
    location: PointIn | None = None

    @model_validator(mode="after")
    def _required_not_cleared(self) -> "DeficitUpdate":
        for name in ("theme", "severity", "status", "reported_on"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


# ---- output ------------------------------------------------------------------------------------


class DeficitRecord(TypedDict):
    """One deficit as the services return it: its columns, declared here once (the CSV
    columns, the public fields and the services' SELECT are made from it)."""

    id: int
    theme: str
    title_en: str | None
    title_cy: str | None
    description_en: str | None
    description_cy: str | None
    severity: int
    status: str
    source: str | None
    source_id: str | None
    # Only for those who may change deficits (services/needs/deficits.may_see_reporter).
    reporter: NotRequired[str | None]
    reported_on: date
    lon: float | None
    lat: float | None
    area: BaseGeometry | None
    version: int
    created_at: datetime
    updated_at: datetime
    # Only in a search near a point: metres from it.
    distance_m: NotRequired[float]


DEFICIT_FIELDS: tuple[str, ...] = tuple(
    k for k in DeficitRecord.__annotations__ if k != "distance_m"
)
# The properties of a deficit in JSON and GeoJSON (id and place are the object's own).
PUBLIC_FIELDS = tuple(
    f for f in DEFICIT_FIELDS if f not in ("id", "reporter", "lon", "lat", "area")
)


class DeficitRead(BaseModel):
    """A deficit as the API returns it (JSON); `reporter` only for writers."""

    id: int
    theme: str
    title_en: str | None
    title_cy: str | None
    description_en: str | None
    description_cy: str | None
    severity: int
    status: DeficitStatus
    source: str | None
    source_id: str | None
    reported_on: date
    location: PointOut | None
    area: dict[str, Any] | None
    version: int
    created_at: datetime
    updated_at: datetime
    reporter: str | None = Field(None, description="Only in answers to writers.")
    distance_m: float | None = Field(None, description="Geodesic metres (near searches only).")


class DeficitList(BaseModel):
    """A page of deficits, and the link to the next page (keyset pagination)."""

    items: list[DeficitRead]
    numberReturned: int
    next: str | None


class DeficitFeature(BaseModel):
    """A deficit as a GeoJSON Feature: geometry is its location, or its area when it has none."""

    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any]
    properties: dict[str, Any]


class DeficitFeatureCollection(BaseModel):
    """A page of deficits as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"]
    features: list[DeficitFeature]
    numberReturned: int
    links: list[dict[str, Any]] = []


def _location(record: Mapping[str, Any]) -> dict[str, Any] | None:
    if record["lon"] is None or record["lat"] is None:
        return None
    return point_geojson(record["lon"], record["lat"])


def _properties(record: Mapping[str, Any]) -> dict[str, Any]:
    props = {name: record[name] for name in PUBLIC_FIELDS}
    props["reported_on"] = record["reported_on"].isoformat()
    props["created_at"] = _iso(record["created_at"])
    props["updated_at"] = _iso(record["updated_at"])
    if "reporter" in record:
        props["reporter"] = record["reporter"]
    if "distance_m" in record:
        props["distance_m"] = round(record["distance_m"], 2)
    return props


def deficit_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """A deficit record (from the service layer) as the JSON object of DeficitRead."""
    return {
        "id": record["id"],
        "location": _location(record),
        "area": geojson(record["area"]),
        **_properties(record),
    }


def deficit_feature(record: Mapping[str, Any]) -> dict[str, Any]:
    """A deficit record as an RFC 7946 Feature (the area is also a property)."""
    area = geojson(record["area"])
    return {
        "type": "Feature",
        "id": record["id"],
        "geometry": _location(record) or area,
        "properties": {**_properties(record), "area": area},
    }


CSV_COLUMNS = DEFICIT_FIELDS
# Columns an import reads; the others of CSV_COLUMNS describe the database, not the deficit.
IMPORT_COLUMNS = CSV_COLUMNS[1:-3]
SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at", "distance_m")


def deficit_columns(*, with_reporter: bool) -> list[str]:
    """The CSV header: `reporter` only for writers."""
    return [c for c in CSV_COLUMNS if with_reporter or c != "reporter"]


def deficit_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A deficit record as a flat row (area as WKT); text is guarded against formula injection."""
    area = record["area"]
    row: dict[str, Any] = {
        **{name: record.get(name) for name in CSV_COLUMNS},
        "reported_on": record["reported_on"].isoformat(),
        "area": area.wkt if area is not None else None,
        "created_at": _iso(record["created_at"]),
        "updated_at": _iso(record["updated_at"]),
    }
    if "reporter" not in record:
        del row["reporter"]
    if "distance_m" in record:
        row["distance_m"] = round(record["distance_m"], 2)
    return csv.guarded(row)


def deficits_csv(records: Iterable[Mapping[str, Any]], *, with_reporter: bool = False) -> str:
    """Deficits as CSV text with a header row (RFC 4180, UTF-8)."""
    return csv.csv_text(deficit_columns(with_reporter=with_reporter), records, to_row=deficit_row)
