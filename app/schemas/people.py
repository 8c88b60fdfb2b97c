"""People: consent records in, and counts out (never names, contacts or points)."""

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from app.models import CONSENT_METHODS

ConsentMethod = Literal[CONSENT_METHODS]  # type: ignore[valid-type]
# Consent is asked again at least this often (the connector renews it).
MAX_CONSENT = timedelta(days=3 * 366)
K_ANONYMITY = 5
FEWER = f"fewer than {K_ANONYMITY}"


class ConsentIn(BaseModel):
    """A person's consent as a connector records it."""

    model_config = ConfigDict(extra="forbid")

    method: ConsentMethod = Field(description="how it was given: written, verbal, online, other")
    notice_version: str = Field(
        min_length=1, max_length=40, description="version of the privacy notice they were shown"
    )
    expires_at: AwareDatetime = Field(description="when it lapses (at most 3 years ahead)")

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime) -> datetime:
        now = datetime.now(UTC)
        if value <= now:
            raise ValueError("must be in the future")
        if value > now + MAX_CONSENT:
            raise ValueError("must be at most 3 years ahead; ask again then")
        return value


def shown_count(count: int) -> int | None:
    """A count of people as it may be shown: None when under K_ANONYMITY."""
    return count if count >= K_ANONYMITY else None


class PeopleCount(BaseModel):
    """How many people offer a theme in an area; `people` is null when fewer than 5."""

    area_code: str
    area_name: str | None
    theme: str
    people: int | None
    shown_as: str


class PeopleCounts(BaseModel):
    """Counts of people per area and theme, from public (1 km square) locations only."""

    level: str
    method: str
    items: list[PeopleCount]


class PeopleNear(BaseModel):
    """How many people near a point offer a theme."""

    theme: str
    theme_label_en: str
    theme_label_cy: str
    people: int | None
    text: str


class PeopleNearList(BaseModel):
    """People near a point, per theme, from public (1 km square) locations only."""

    radius_m: float
    method: str
    items: list[PeopleNear]
