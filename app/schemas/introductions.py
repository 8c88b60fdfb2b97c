"""Introductions: a resident asks to meet people offering a theme near them.

What goes out never holds a person's record, name, contact or point: the requester's place is
the centre of its 1 km grid square, and people near are counts (under 5: "fewer than 5").
"""

import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.models import INTRODUCTION_STATUSES
from app.schemas.assets import THEME_CODE, PointOut, normalise_postcode
from app.schemas.people import PeopleNearList
from app.schemas.postcodes import AreaRef
from app.spatial.geometry import check_lon_lat, point_geojson

if TYPE_CHECKING:
    from app.services.people.introductions import IntroductionView

IntroductionStatus = Literal[INTRODUCTION_STATUSES]  # type: ignore[valid-type]
MESSAGE_MAX = 1000
# Newlines and tabs are fine in a message; other control characters (NUL above all, which
# PostgreSQL cannot store) are not.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _message(value: str | None) -> str | None:
    if value is None:
        return None
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value.strip() or None


class IntroductionCreate(BaseModel):
    """A request to be put in touch with people offering a theme near a point or postcode."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    theme: str = Field(max_length=40, pattern=THEME_CODE, description="theme code, e.g. food")
    near: Annotated[list[float], Field(min_length=2, max_length=2)] | None = Field(
        None, description="[lon, lat] (WGS84); give this or postcode"
    )
    postcode: Annotated[str, Field(max_length=20), AfterValidator(normalise_postcode)] | None = (
        Field(None, description="a UK postcode, any spacing and case; give this or near")
    )
    message: Annotated[str, Field(max_length=MESSAGE_MAX), AfterValidator(_message)] | None = Field(
        None, description="what you would like help with (seen by connectors only)"
    )

    @field_validator("near")
    @classmethod
    def _in_range(cls, value: list[float] | None) -> list[float] | None:
        if value is not None:
            check_lon_lat(value[0], value[1])
        return value

    @model_validator(mode="after")
    def _one_place(self) -> "IntroductionCreate":
        if (self.near is None) == (self.postcode is None):
            raise ValueError("give exactly one of near or postcode")
        return self


class IntroductionUpdate(BaseModel):
    """What a connector sets when they have handled a request."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["done", "declined"]


class IntroductionRead(BaseModel):
    """A request as its requester and the connectors of its patch see it."""

    id: int
    theme: str
    theme_label_en: str
    theme_label_cy: str
    status: IntroductionStatus
    location: PointOut = Field(description="centre of the requester's 1 km grid square")
    area: AreaRef | None = Field(description="the smallest area holding it (routes it)")
    message: str | None
    requester: str = Field(description="role:id of the requester")
    requester_email: str | None = Field(
        description="how to reach the requester: shown to connectors and admins only"
    )
    created_at: datetime
    handled_by: str | None
    handled_at: datetime | None


class IntroductionCreated(IntroductionRead):
    """A new request, with how many people near it offer the theme (counts only)."""

    people_near: PeopleNearList


class IntroductionList(BaseModel):
    """Requests the caller may see, newest first; `next` is the next page's URL or null."""

    items: list[IntroductionRead]
    next: str | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def introduction_json(view: "IntroductionView") -> dict[str, Any]:
    """The JSON of one request as the viewer it was loaded for may see it."""
    intro = view.introduction
    area = view.area
    return {
        "id": intro.id,
        "theme": intro.theme_code,
        "theme_label_en": view.theme_label_en,
        "theme_label_cy": view.theme_label_cy,
        "status": intro.status,
        "location": point_geojson(intro.lon, intro.lat),
        "area": None
        if area is None
        else {
            "code": area.code,
            "name_en": area.name_en,
            "name_cy": area.name_cy,
            "level": area.level,
        },
        "message": intro.message,
        "requester": view.requester,
        "requester_email": view.requester_email,
        "created_at": _iso(intro.created_at),
        "handled_by": intro.handled_by,
        "handled_at": _iso(intro.handled_at),
    }
