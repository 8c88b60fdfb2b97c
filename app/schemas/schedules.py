"""Opening rules as stored in an asset's opening_hours (a JSON list): a weekly slot as ever,
or every N weeks, the Nth weekday of the month, valid dates, closures and a note in both
languages (HSDS-style schedules); on the way in (validated) and on the way out."""

import re
from datetime import date, time
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
)

from app.vocabularies import DAYS

Day = Literal[DAYS]  # type: ignore[valid-type]
# Unicode category Cc but newline and tab, as app/schemas/assets.py refuses in text.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def refuse_numbers(value: Any) -> Any:
    """Before a date, time or date-time: a number is refused (pydantic would read it as
    seconds, e.g. 5 as 00:00:05 or a day in 1970), so only the text forms are accepted."""
    if isinstance(value, int | float):
        raise ValueError("give it as text (ISO 8601, e.g. 09:30 or 2026-12-24), not a number")
    return value


def refuse_non_integers(value: Any) -> Any:
    """Before a whole number: only a JSON integer (not true, 2.0 or "2")."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("give a whole number")
    return value


# A date or time given as text (or as a date or time object, from Python callers).
Date = Annotated[date, BeforeValidator(refuse_numbers)]
Time = Annotated[time, BeforeValidator(refuse_numbers)]


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class Closure(BaseModel):
    """Dates (inclusive) when a regular opening does not happen, e.g. a holiday."""

    model_config = ConfigDict(extra="forbid")

    closed_from: Date
    closed_to: Date

    @field_validator("closed_to")
    @classmethod
    def _to_not_before_from(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("closed_from")
        if start is not None and value < start:
            raise ValueError("closed_to must not be before closed_from")
        return value


def _no_control_chars(value: str) -> str:
    if CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


# As app/schemas/assets.py's text: blank is None, and the constraints sit on the inner `str`
# (on `str | None` pydantic would apply them to None too, a 500).
ScheduleNote = Annotated[
    Annotated[str, Field(max_length=500), AfterValidator(_no_control_chars)] | None,
    BeforeValidator(_blank_to_none),
]


class OpeningHours(BaseModel):
    """One opening rule: a day, when it opens and when it closes (24-hour HH:MM).

    With nothing else it means every week, as it always has. It may instead say every N weeks
    counting from `starting` (a date on that day), or the Nth `day` of the month
    (`week_of_month` 1 to 4, or -1 for the last); it may hold only between `valid_from` and
    `valid_to`, skip `closures` (holidays), and carry a note in English and Welsh."""

    model_config = ConfigDict(extra="forbid")

    day: Day
    opens: Time
    closes: Time
    every_weeks: Annotated[int, Field(ge=1, le=52), BeforeValidator(refuse_non_integers)] = 1
    starting: Annotated[Date | None, Field(validate_default=True)] = None
    week_of_month: Annotated[
        Literal[1, 2, 3, 4, -1] | None,
        BeforeValidator(lambda v: v if v is None else refuse_non_integers(v)),
    ] = None
    valid_from: Date | None = None
    valid_to: Date | None = None
    closures: Annotated[list[Closure], Field(max_length=50)] = []
    note_en: ScheduleNote = None
    note_cy: ScheduleNote = None

    # Field validators (not one model validator) so that a 422 names the field at fault.
    @field_validator("closes")
    @classmethod
    def _closes_after_opens(cls, value: time, info: ValidationInfo) -> time:
        opens = info.data.get("opens")
        if opens is not None and value <= opens:
            raise ValueError("closes must be after opens")
        return value

    @field_validator("starting")
    @classmethod
    def _starting_on_the_day(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None and info.data.get("every_weeks", 1) > 1:
            raise ValueError("every_weeks needs starting: a date to count the weeks from")
        day = info.data.get("day")
        if value is not None and day is not None and DAYS[value.weekday()] != day:
            raise ValueError(f"starting must be a date on the rule's day ({day})")
        return value

    @field_validator("week_of_month")
    @classmethod
    def _not_with_every_weeks(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("every_weeks", 1) > 1:
            raise ValueError("give every_weeks or week_of_month, not both")
        return value

    @field_validator("valid_to")
    @classmethod
    def _valid_to_not_before_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError("valid_to must not be before valid_from")
        return value

    def stored(self) -> "OpeningPeriod":
        """The rule as the opening_hours column keeps it: a plain weekly slot stays exactly
        {day, opens, closes}; the other keys appear only when they say something."""
        period: OpeningPeriod = {
            "day": self.day,
            "opens": self.opens.strftime("%H:%M"),
            "closes": self.closes.strftime("%H:%M"),
        }
        if self.every_weeks > 1:
            period["every_weeks"] = self.every_weeks
        if self.starting is not None:
            period["starting"] = self.starting.isoformat()
        if self.week_of_month is not None:
            period["week_of_month"] = self.week_of_month
        if self.valid_from is not None:
            period["valid_from"] = self.valid_from.isoformat()
        if self.valid_to is not None:
            period["valid_to"] = self.valid_to.isoformat()
        if self.closures:
            period["closures"] = [
                {"closed_from": c.closed_from.isoformat(), "closed_to": c.closed_to.isoformat()}
                for c in self.closures
            ]
        if self.note_en:
            period["note_en"] = self.note_en
        if self.note_cy:
            period["note_cy"] = self.note_cy
        return period


class ClosurePeriod(TypedDict):
    """Dates (ISO, inclusive) when a rule does not apply."""

    closed_from: str
    closed_to: str


class OpeningPeriod(TypedDict):
    """One opening rule as stored: day code, HH:MM opens and closes, and only when set the
    rest of OpeningHours (ISO dates)."""

    day: str
    opens: str
    closes: str
    every_weeks: NotRequired[int]
    starting: NotRequired[str]
    week_of_month: NotRequired[int]
    valid_from: NotRequired[str]
    valid_to: NotRequired[str]
    closures: NotRequired[list[ClosurePeriod]]
    note_en: NotRequired[str]
    note_cy: NotRequired[str]


class ClosureOut(BaseModel):
    """Dates (inclusive) when a rule does not apply."""

    closed_from: str
    closed_to: str


class OpeningHoursOut(BaseModel):
    """An opening rule as stored (fields beyond day/opens/closes only when set)."""

    day: Day
    opens: str
    closes: str
    every_weeks: int | None = Field(None, description="Every N weeks counting from `starting`.")
    starting: str | None = None
    week_of_month: int | None = Field(None, description="1 to 4, or -1 for the last.")
    valid_from: str | None = None
    valid_to: str | None = None
    closures: list[ClosureOut] | None = None
    note_en: str | None = None
    note_cy: str | None = None

    @model_serializer(mode="wrap")
    def _only_what_is_set(self, handler: SerializerFunctionWrapHandler):
        # A weekly slot reads exactly as before: {day, opens, closes}, no nulls.
        return {key: value for key, value in handler(self).items() if value is not None}
