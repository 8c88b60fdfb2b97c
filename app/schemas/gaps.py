""" "Missing here": what a resident sends, what a decider sends, and what leaves the server.

A gap's reporter and supporters never leave the server: a gap shows only its published support
count (under 5: "fewer than 5", through the people rule). Published gaps are placed at the
centre of their 100 m grid square (the deficit's point), never at the reporter's own point;
pending gaps, with their point, go only to those who decide them.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.schemas.assets import THEME_CODE, normalise_postcode
from app.schemas.introductions import _message
from app.spatial.geometry import check_lon_lat

if TYPE_CHECKING:
    from app.services.coproduction.gaps import GapView

TEXT_MAX = 1000
REASON_MAX = 1000
Language = Literal["en", "cy"]


def _text(value: str | None) -> str | None:
    return _message(value)


class GapCreate(BaseModel):
    """A resident's "missing here": a theme, what is missing (in their words), and where."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    theme: str = Field(max_length=40, pattern=THEME_CODE, description="theme code, e.g. food")
    text: Annotated[str, Field(min_length=1, max_length=TEXT_MAX), AfterValidator(_text)] = Field(
        description="what is missing here, in your own words"
    )
    language: Language = Field("en", description="the language the text is written in")
    near: Annotated[list[float], Field(min_length=2, max_length=2)] | None = Field(
        None, description="[lon, lat] (WGS84); give this or postcode"
    )
    postcode: Annotated[str, Field(max_length=20), AfterValidator(normalise_postcode)] | None = (
        Field(None, description="a UK postcode, any spacing and case; give this or near")
    )

    @field_validator("near")
    @classmethod
    def _in_range(cls, value: list[float] | None) -> list[float] | None:
        if value is not None:
            check_lon_lat(value[0], value[1])
        return value

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str | None) -> str:
        if not value:
            raise ValueError("say what is missing")
        return value

    @model_validator(mode="after")
    def _one_place(self) -> "GapCreate":
        if (self.near is None) == (self.postcode is None):
            raise ValueError("give exactly one of near or postcode")
        return self


class GapPublish(BaseModel):
    """A decider publishes a pending gap as a reported service gap (a deficit)."""

    model_config = ConfigDict(extra="forbid")

    severity: int = Field(3, ge=1, le=5, description="1 (minor) to 5 (severe)")


class GapMerge(BaseModel):
    """A decider merges a pending gap into another gap; its supports move there."""

    model_config = ConfigDict(extra="forbid")

    into: int = Field(ge=1, le=2**31 - 1, description="the id of the gap to merge into")


class GapDecline(BaseModel):
    """A decider declines a pending gap, with a reason the reporter sees."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX), AfterValidator(_text)]

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str | None) -> str:
        if not value:
            raise ValueError("give the reason the resident will see")
        return value


class GapRead(BaseModel):
    """A gap as the API shows it (point: published gaps at their 100 m square's centre)."""

    id: int
    theme: str
    theme_label_en: str
    theme_label_cy: str
    text: str
    language: Language
    status: str
    area_code: str | None
    point: list[float] | None
    supports: int | None = Field(description="published count; null means fewer than 5")
    supports_shown_as: str
    supported_by_you: bool
    deficit_id: int | None
    merged_into: int | None
    decline_reason: str | None


class GapList(BaseModel):
    """Gaps the caller may see."""

    items: list[GapRead]


def gap_json(view: "GapView") -> dict[str, Any]:
    """One gap as the API shows it."""
    return {
        "id": view.id,
        "theme": view.theme,
        "theme_label_en": view.theme_label_en,
        "theme_label_cy": view.theme_label_cy,
        "text": view.text,
        "language": view.language,
        "status": view.status,
        "area_code": view.area_code,
        "point": list(view.point) if view.point is not None else None,
        "supports": view.supports,
        "supports_shown_as": view.supports_shown_as,
        "supported_by_you": view.supported_by_you,
        "deficit_id": view.deficit_id,
        "merged_into": view.merged_into_id,
        "decline_reason": view.decline_reason,
    }
