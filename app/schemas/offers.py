""" "I can help" offers and "I use this" counts: what comes in, and what goes out.

An offer's JSON goes to its own resident and to the connectors of its patch (and admins) only;
nobody else ever sees one. A use count says how many residents use an asset, never who.
"""

import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.schemas.assets import THEME_CODE, normalise_postcode
from app.spatial.geometry import check_lon_lat
from app.vocabularies import OFFER_STATUSES, PERSON_KINDS

if TYPE_CHECKING:
    from app.services.coproduction.offers import OfferView

OfferKind = Literal[PERSON_KINDS]  # type: ignore[valid-type]
OfferStatus = Literal[OFFER_STATUSES]  # type: ignore[valid-type]
TITLE_MAX = 300
DESCRIPTION_MAX = 2000
REASON_MAX = 2000


# Newlines and tabs are fine in what a resident writes; other control characters (NUL above
# all, which PostgreSQL cannot store) are not.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _message(value: str | None) -> str | None:
    if value is None:
        return None
    # Browsers send a textarea's line breaks as CRLF: keep them as plain newlines.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value.strip() or None


def _title(value: str) -> str:
    cleaned = _message(value)
    if not cleaned:
        raise ValueError("say what you can offer")
    return cleaned


class OfferCreate(BaseModel):
    """A resident's offer of time (volunteer) or a skill under a theme near their home, with
    their consent to the privacy notice of `notice_version` (GET /api/v1/offers/notice)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: OfferKind = Field(description="skill: a skill you have; volunteer: time you give")
    theme: str = Field(max_length=40, pattern=THEME_CODE, description="theme code, e.g. food")
    title: Annotated[str, Field(max_length=TITLE_MAX), AfterValidator(_title)] = Field(
        description="what you can offer, in a few words"
    )
    description: (
        Annotated[str, Field(max_length=DESCRIPTION_MAX), AfterValidator(_message)] | None
    ) = Field(None, description="more about it (seen by the connectors of your area only)")
    near: Annotated[list[float], Field(min_length=2, max_length=2)] | None = Field(
        None, description="[lon, lat] near your home (WGS84); give this or postcode"
    )
    postcode: Annotated[str, Field(max_length=20), AfterValidator(normalise_postcode)] | None = (
        Field(None, description="a postcode near your home; give this or near")
    )
    language: Literal["en", "cy"] = Field("en", description="the language you write in")
    notice_version: str = Field(
        min_length=1, max_length=40, description="the version of the privacy notice you read"
    )
    consent: Literal[True] = Field(description="true: you agree to the privacy notice")

    @field_validator("near")
    @classmethod
    def _in_range(cls, value: list[float] | None) -> list[float] | None:
        if value is not None:
            check_lon_lat(value[0], value[1])
        return value

    @model_validator(mode="after")
    def _one_place(self) -> "OfferCreate":
        if (self.near is None) == (self.postcode is None):
            raise ValueError("give exactly one of near or postcode")
        return self


class OfferDecline(BaseModel):
    """Why a connector declines an offer: the resident sees it."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX), AfterValidator(_title)]


class OfferRead(BaseModel):
    """An offer as its resident, and the connectors of its patch, see it. `contact_email`,
    `area` and `asset_id` are for the connectors (null once the record is erased)."""

    id: int
    kind: OfferKind
    theme: str
    theme_label_en: str
    theme_label_cy: str
    title: str
    description: str | None
    status: OfferStatus
    decline_reason: str | None
    created_at: datetime
    decided_at: datetime | None
    asset_id: int | None
    area: str | None
    contact_email: str | None


class OfferList(BaseModel):
    """Offers the caller may see: a connector's pending queue, or a resident's own."""

    items: list[OfferRead]


class OfferNotice(BaseModel):
    """The privacy notice a resident agrees to when they offer, and its version."""

    version: str
    text_en: str
    text_cy: str


class UseCountRead(BaseModel):
    """How many residents use an asset, as published (never who): `residents` is null under
    5 (zero included), and then `shown_as` is "fewer than 5"."""

    residents: int | None
    shown_as: str
    you_use_it: bool


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def offer_json(view: "OfferView") -> dict[str, Any]:
    """The JSON of one offer."""
    return {
        "id": view.id,
        "kind": view.kind,
        "theme": view.theme_code,
        "theme_label_en": view.theme_label_en,
        "theme_label_cy": view.theme_label_cy,
        "title": view.title,
        "description": view.description,
        "status": view.status,
        "decline_reason": view.decline_reason,
        "created_at": _iso(view.created_at),
        "decided_at": _iso(view.decided_at),
        "asset_id": view.asset_id,
        "area": view.area,
        "contact_email": view.contact_email,
    }
