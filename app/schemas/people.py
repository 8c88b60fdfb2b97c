"""People: consent records in, and counts out (never names, contacts or points)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from app.schemas.schedules import refuse_numbers
from app.vocabularies import RECORDED_CONSENT_METHODS

ConsentMethod = Literal[RECORDED_CONSENT_METHODS]  # type: ignore[valid-type]
# Consent is asked again at least this often (the connector renews it).
MAX_CONSENT = timedelta(days=3 * 366)


class ConsentIn(BaseModel):
    """A person's consent as a connector records it."""

    model_config = ConfigDict(extra="forbid")

    method: ConsentMethod = Field(description="how it was given: written, verbal, online, other")
    notice_version: str = Field(
        min_length=1, max_length=40, description="version of the privacy notice they were shown"
    )
    expires_at: Annotated[AwareDatetime, BeforeValidator(refuse_numbers)] = Field(
        description="when it lapses (at most 3 years ahead)"
    )

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime) -> datetime:
        now = datetime.now(UTC)
        if value <= now:
            raise ValueError("must be in the future")
        if value > now + MAX_CONSENT:
            raise ValueError("must be at most 3 years ahead; ask again then")
        return value


class PeopleCount(BaseModel):
    """How many people offer a theme in an area, as published: `people` is null when the
    perturbed count is under 5 (zero included), and then `shown_as` is "fewer than 5"."""

    area_code: str
    area_name: str | None
    area_name_cy: str | None
    theme: str
    people: int | None
    shown_as: str


class PeopleCounts(BaseModel):
    """Published counts of people per area (of the people level) and theme."""

    level: str | None = Field(description="the one level people are counted at")
    method: str
    items: list[PeopleCount]


class PlaceAreaOut(BaseModel):
    """The area whose count answers "near here"."""

    code: str
    level: str
    name_en: str | None
    name_cy: str | None


class PeopleNear(BaseModel):
    """How many people in the area holding a point offer a theme."""

    theme: str
    theme_label_en: str
    theme_label_cy: str
    people: int | None
    text: str


class PeopleNearList(BaseModel):
    """People near a point: the published counts of the area (of the people level) holding it."""

    area: PlaceAreaOut | None = Field(description="the area counted; null when none holds it")
    method: str
    items: list[PeopleNear]
