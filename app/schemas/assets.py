"""What assets look like on the way in (validated) and on the way out (JSON, GeoJSON, CSV)."""

import re
import unicodedata
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StrictFloat,
    UrlConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from app.formats.numbers import area_fragment, metres_fragment, point_fragment
from app.schemas import codes
from app.schemas.people import ConsentIn
from app.schemas.schedules import OpeningHours, OpeningHoursOut, OpeningPeriod, refuse_numbers
from app.spatial.geometry import check_lon_lat, geojson, multipolygon_from_geojson, point_geojson
from app.vocabularies import ACCESSIBILITY, DAYS, KINDS, PERSON_KINDS, STATUSES, WRITABLE_STATUSES

Kind = Literal[KINDS]  # type: ignore[valid-type]
WritableStatus = Literal[WRITABLE_STATUSES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Day = Literal[DAYS]  # type: ignore[valid-type]
Accessibility = Literal[ACCESSIBILITY]  # type: ignore[valid-type]

# Theme codes (app/schemas/codes.py), as seeded from data/themes.csv; anything else (e.g. a NUL
# byte, which PostGIS cannot even compare) is refused before it reaches the database.
THEME_CODE = codes.THEME_CODE
UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise_postcode(value: str) -> str:
    """Upper case with one space before the inward code ('cf101aa' -> 'CF10 1AA')."""
    compact = re.sub(r"\s+", "", value).upper()
    match = UK_POSTCODE.match(compact)
    if not match:
        raise ValueError("not a UK postcode (e.g. CF10 1AA)")
    return f"{match.group(1)} {match.group(2)}"


def fold(text: str) -> str:
    """Case- and accent-folded text for search ('Tŷ Hafan' -> 'ty hafan')."""
    if text.isascii():  # the common case, and the same result, without per-character work
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; newline and tab are allowed.
# A regex instead of a per-character loop: imports validate every text field of every row.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _no_control_chars(value: str | None) -> str | None:
    if value is not None and _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


# Optional text: blank becomes None. The constraints sit on the inner `str`: on `str | None`
# pydantic applies them to None as well and raises TypeError (a 500) for a blank or null field.
_Blank = BeforeValidator(_blank_to_none)
_Clean = AfterValidator(_no_control_chars)
Name = Annotated[Annotated[str, Field(max_length=300), _Clean] | None, _Blank]
Description = Annotated[Annotated[str, Field(max_length=5000), _Clean] | None, _Blank]
Line = Annotated[Annotated[str, Field(max_length=500), _Clean] | None, _Blank]
SourceRef = Annotated[Annotated[str, Field(max_length=200), _Clean] | None, _Blank]
# The column holds 40 characters: the pattern alone would let "+" and 40 more through.
Phone = Annotated[
    Annotated[str, Field(max_length=40, pattern=r"^\+?[0-9 ()\-]{5,40}$")] | None, _Blank
]
# The columns' widths (app/models/assets.py): longer input is a 422, not a database error.
EMAIL_MAX = 320
WEBSITE_MAX = 2000
POSTCODE_MAX = 10


def _website_fits(value: HttpUrl | None) -> HttpUrl | None:
    # Measured again as stored: normalising may lengthen a URL (a trailing slash, punycode for
    # a non-ASCII host).
    if value is not None and len(str(value)) > WEBSITE_MAX:
        raise ValueError(f"must be at most {WEBSITE_MAX} characters")
    return value


# Largest service area or deficit area accepted from a request or a file: the parts of a
# MultiPolygon, the rings (outline and holes) of one polygon and the positions in all (a
# detailed local authority boundary has some thousands). Checked before any geometry is built.
MAX_AREA_PARTS = 500
MAX_AREA_RINGS = 500
MAX_AREA_VERTICES = 20_000
# Set while a request's body has been checked already, in a worker thread (app/http/
# write_routes.py): the validation FastAPI then repeats on the event loop skips shapely.
geometry_checked: ContextVar[bool] = ContextVar("geometry_checked", default=False)


def _no_booleans(position: Any) -> Any:
    # pydantic would read true as 1.0: a position is numbers (text such as "3.1" from a CSV
    # file is still read as a number).
    if isinstance(position, list) and any(isinstance(v, bool) for v in position):
        raise ValueError("coordinates are numbers, not true or false")
    return position


class PointIn(BaseModel):
    """A GeoJSON Point in WGS84 lon/lat."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    type: Literal["Point"]
    coordinates: Annotated[
        list[float], Field(min_length=2, max_length=2), BeforeValidator(_no_booleans)
    ]

    @field_validator("coordinates")
    @classmethod
    def _in_range(cls, value: list[float]) -> list[float]:
        check_lon_lat(value[0], value[1])
        return value


def _closed(ring: list[list[float]]) -> list[list[float]]:
    if ring[0] != ring[-1]:
        raise ValueError("a linear ring must end where it starts (RFC 7946 3.1.6)")
    return ring


# Positions are lon/lat pairs (the column is 2D); a ring is closed and has at least 4 positions.
# Strict numbers (no true, no "3.1"): checked without a Python call per position.
Position = Annotated[list[StrictFloat], Field(min_length=2, max_length=2)]
Ring = Annotated[
    list[Position], Field(min_length=4, max_length=MAX_AREA_VERTICES), AfterValidator(_closed)
]
PolygonRings = Annotated[list[Ring], Field(min_length=1, max_length=MAX_AREA_RINGS)]


def _vertices(polygons: list[list[list[list[float]]]]) -> int:
    return sum(len(ring) for rings in polygons for ring in rings)


class _AreaBase(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    def to_shape(self) -> MultiPolygon:
        """The area as a shapely MultiPolygon (validated already)."""
        return multipolygon_from_geojson(self.model_dump())

    def polygons(self) -> list[list[list[list[float]]]]:
        """The area's polygons' rings (a Polygon is one polygon)."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _valid(self) -> Any:
        vertices = _vertices(self.polygons())
        if vertices > MAX_AREA_VERTICES:
            raise ValueError(f"has {vertices} positions; at most {MAX_AREA_VERTICES} are accepted")
        if not geometry_checked.get():
            self.to_shape()
        return self


class PolygonIn(_AreaBase):
    """A GeoJSON Polygon in WGS84; must be valid (OGC simple features)."""

    type: Literal["Polygon"]
    coordinates: PolygonRings

    def polygons(self) -> list[list[list[list[float]]]]:
        """The area's polygons' rings (a Polygon is one polygon)."""
        return [self.coordinates]


class MultiPolygonIn(_AreaBase):
    """A GeoJSON MultiPolygon in WGS84; must be valid (OGC simple features)."""

    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[PolygonRings], Field(min_length=1, max_length=MAX_AREA_PARTS)]

    def polygons(self) -> list[list[list[list[float]]]]:
        """The area's polygons' rings."""
        return self.coordinates


AreaIn = Annotated[PolygonIn | MultiPolygonIn, Field(discriminator="type")]


def _languages(value: list[str]) -> list[str]:
    for code in value:
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise ValueError(f"{code!r} is not an ISO 639 language code (e.g. cy, en, bfi)")
    return sorted(set(value))


class _AssetFields(BaseModel):
    """Fields a writer may set; shared by create and update."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=5000)

    name_en: Name = None
    name_cy: Name = None
    description_en: Description = None
    description_cy: Description = None
    themes: Annotated[
        list[Annotated[str, Field(max_length=40, pattern=THEME_CODE)]], Field(max_length=30)
    ] = []
    service_area: AreaIn | None = None
    address: Line = None
    postcode: Annotated[
        Annotated[str, Field(max_length=POSTCODE_MAX)] | None,
        BeforeValidator(_blank_to_none),
        AfterValidator(lambda v: normalise_postcode(v) if v else v),
    ] = None
    email: Annotated[
        Annotated[EmailStr, Field(max_length=EMAIL_MAX)] | None, BeforeValidator(_blank_to_none)
    ] = None
    phone: Phone = None
    website: Annotated[
        Annotated[HttpUrl, UrlConstraints(max_length=WEBSITE_MAX)] | None,
        BeforeValidator(_blank_to_none),
        AfterValidator(_website_fits),
    ] = None
    opening_hours: Annotated[list[OpeningHours], Field(max_length=50)] = []
    accessibility: list[Accessibility] = []
    languages: Annotated[list[str], Field(max_length=20), AfterValidator(_languages)] = []
    status: WritableStatus = "pending"
    last_verified_at: Annotated[AwareDatetime | None, BeforeValidator(refuse_numbers)] = None

    @field_validator("last_verified_at")
    @classmethod
    def _not_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC):
            raise ValueError("must not be in the future")
        return value


class AssetCreate(_AssetFields):
    """A new asset. `location` is a GeoJSON Point; at least one of name_en / name_cy.

    A person-linked asset (skill, volunteer) needs `consent`: how and until when the person
    agreed to be listed (connectors and admins only)."""

    kind: Kind
    location: PointIn
    source: SourceRef = None
    source_id: SourceRef = None
    consent: Annotated[ConsentIn | None, Field(validate_default=True)] = None

    @field_validator("consent")
    @classmethod
    def _consent_for_people(cls, value: ConsentIn | None, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        if kind in PERSON_KINDS and value is None:
            raise ValueError(
                "skill and volunteer records need a consent record "
                "(method, notice_version, expires_at)"
            )
        if kind not in PERSON_KINDS and value is not None:
            raise ValueError("only skill and volunteer records carry consent")
        return value

    @model_validator(mode="after")
    def _has_name(self) -> "AssetCreate":
        if not (self.name_en or self.name_cy):
            raise ValueError("give at least one of name_en or name_cy")
        if self.source_id and not self.source:
            raise ValueError("source_id needs source")
        return self


class AssetUpdate(_AssetFields):
    """A partial change: only the fields sent are changed; null clears an optional field."""

    kind: Kind | None = None
    location: PointIn | None = None

    # A field validator (run only for fields sent) so that the 422 names the field.
    @field_validator("kind", "location", "status")
    @classmethod
    def _required_not_cleared(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise ValueError(f"{info.field_name} cannot be null")
        return value

    @model_validator(mode="after")
    def _something_sent(self) -> "AssetUpdate":
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


# ---- output ------------------------------------------------------------------------------------


class AssetRecord(TypedDict):
    """One asset as the services return it: its columns, declared here once. The lists below
    (CSV columns, public fields, audited fields) and the services' SELECT are made from it."""

    id: int
    kind: str
    name_en: str | None
    name_cy: str | None
    description_en: str | None
    description_cy: str | None
    themes: list[str]
    lon: float
    lat: float
    service_area: BaseGeometry | None
    address: str | None
    postcode: str | None
    email: str | None
    phone: str | None
    website: str | None
    opening_hours: list[OpeningPeriod] | None
    accessibility: list[str] | None
    languages: list[str] | None
    status: str
    last_verified_at: datetime | None
    source: str | None
    source_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None
    consent_recorded_by: str | None
    consent_recorded_at: datetime | None
    consent_expires_at: datetime | None
    moderation_reason: str | None
    # Only in a search near a point: metres from it.
    distance_m: NotRequired[float]


ASSET_FIELDS: tuple[str, ...] = tuple(k for k in AssetRecord.__annotations__ if k != "distance_m")
# Who recorded and changed it, consent and moderation: for the connectors, never in an output.
CONNECTOR_ONLY = (
    "created_by",
    "updated_by",
    "consent_recorded_by",
    "consent_recorded_at",
    "consent_expires_at",
    "moderation_reason",
)
# An asset as a flat row (CSV, GeoPackage): everything but the connector's bookkeeping.
ROW_FIELDS = tuple(f for f in ASSET_FIELDS if f not in CONNECTOR_ONLY)
# The properties of an asset in JSON and GeoJSON (id and place are the feature's own).
PUBLIC_FIELDS = tuple(f for f in ROW_FIELDS if f not in ("id", "lon", "lat", "service_area"))
# What the audit trail records of a change (themes, place and area are added by the writer).
AUDITED_FIELDS = tuple(
    f for f in PUBLIC_FIELDS if f not in ("themes", "version", "created_at", "updated_at")
)


class PointOut(BaseModel):
    """GeoJSON Point."""

    type: Literal["Point"]
    coordinates: list[float]


class AssetRead(BaseModel):
    """An asset as the API returns it (JSON)."""

    id: int
    kind: Kind
    name_en: str | None
    name_cy: str | None
    description_en: str | None
    description_cy: str | None
    themes: list[str]
    location: PointOut
    service_area: dict[str, Any] | None
    address: str | None
    postcode: str | None
    email: str | None
    phone: str | None
    website: str | None
    opening_hours: list[OpeningHoursOut]
    accessibility: list[str]
    languages: list[str]
    status: Status
    last_verified_at: datetime | None
    source: str | None
    source_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    distance_m: float | None = Field(None, description="Geodesic metres from `near` (near only).")
    consent: "ConsentOut | None" = Field(
        None, description="People only (seen by admins and the connectors of the patch)."
    )
    moderation_reason: str | None = Field(None, description="Why a suggestion was rejected.")


class ConsentOut(BaseModel):
    """The current consent of a person-linked record."""

    recorded_by: str | None
    recorded_at: str | None
    expires_at: str | None


AssetRead.model_rebuild()


class AssetList(BaseModel):
    """A page of assets, and the link to the next page (keyset pagination)."""

    items: list[AssetRead]
    numberReturned: int
    next: str | None


class AssetFeature(BaseModel):
    """An asset as a GeoJSON Feature (geometry: its location)."""

    type: Literal["Feature"]
    id: int
    geometry: PointOut
    properties: dict[str, Any]


class AssetFeatureCollection(BaseModel):
    """A page of assets as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"]
    features: list[AssetFeature]
    numberReturned: int
    links: list[dict[str, Any]] = []
    numberMatched: int | None = None
    timeStamp: str | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _properties(record: Mapping[str, Any]) -> dict[str, Any]:
    props = {field: record[field] for field in PUBLIC_FIELDS}
    props["last_verified_at"] = _iso(record["last_verified_at"])
    props["created_at"] = _iso(record["created_at"])
    props["updated_at"] = _iso(record["updated_at"])
    props["service_area"] = geojson(record["service_area"])
    if "distance_m" in record:
        props["distance_m"] = round(record["distance_m"], 2)
    if record["kind"] in PERSON_KINDS:
        # Only admins and the connectors of the patch ever receive a person's record.
        props["consent"] = {
            "recorded_by": record["consent_recorded_by"],
            "recorded_at": _iso(record["consent_recorded_at"]),
            "expires_at": _iso(record["consent_expires_at"]),
        }
    if record.get("moderation_reason"):
        props["moderation_reason"] = record["moderation_reason"]
    return props


def asset_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """An asset record (from the service layer) as the JSON object of AssetRead."""
    return {
        "id": record["id"],
        "location": point_geojson(record["lon"], record["lat"]),
        **_properties(record),
    }


def asset_feature(record: Mapping[str, Any]) -> dict[str, Any]:
    """An asset record as an RFC 7946 Feature."""
    return {
        "type": "Feature",
        "id": record["id"],
        "geometry": point_geojson(record["lon"], record["lat"]),
        "properties": _properties(record),
    }


def _canonical_properties(record: Mapping[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    props["service_area"] = area_fragment(props["service_area"])
    if "distance_m" in props:
        props["distance_m"] = metres_fragment(record["distance_m"])
    return props


def canonical_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """asset_json with its numbers as app/formats/numbers.py writes them (orjson fragments):
    the bytes the database builds for a list page (app/services/assets/list_sql.py)."""
    item = asset_json(record)
    item["location"] = point_fragment(record["lon"], record["lat"])
    return _canonical_properties(record, item)


def canonical_feature(record: Mapping[str, Any]) -> dict[str, Any]:
    """asset_feature with its numbers as app/formats/numbers.py writes them (orjson fragments)."""
    feature = asset_feature(record)
    feature["geometry"] = point_fragment(record["lon"], record["lat"])
    _canonical_properties(record, feature["properties"])
    return feature
