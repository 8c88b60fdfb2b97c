"""Residents' suggestions and reports in, connectors' decisions in, the moderation queue out."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.models import PERSON_KINDS, PROBLEMS, REPORT_STATUSES, Report
from app.schemas.assets import AssetCreate, AssetRead, _Blank, _Clean, geometry_checked
from app.vocabularies import PUBLIC_KINDS

# What residents may suggest: everything but people, whose records need a connector and consent.
SuggestedKind = Literal[PUBLIC_KINDS]  # type: ignore[valid-type]
Problem = Literal[PROBLEMS]  # type: ignore[valid-type]
ReportStatus = Literal[REPORT_STATUSES]  # type: ignore[valid-type]
# The fields of AssetCreate a resident may fill in; status, verification, source and consent
# are the connector's (sending them is a 422, as for any unknown field).
SUGGESTED_FIELDS = (
    "name_en",
    "name_cy",
    "description_en",
    "description_cy",
    "themes",
    "location",
    "service_area",
    "address",
    "postcode",
    "email",
    "phone",
    "website",
    "opening_hours",
    "accessibility",
    "languages",
)
SUGGESTION_SOURCE = "suggestion"
# Optional free text (blank is None); the length limit sits on the inner `str` (see assets.py).
Text2000 = Annotated[Annotated[str, Field(max_length=2000), _Clean] | None, _Blank]


def _refuse(loc: str, kind: str, message: str, value: Any) -> ValidationError:
    """A validation error for one field, raised from a model-level check (keeps its `loc`)."""
    return ValidationError.from_exception_data(
        "moderation",
        [InitErrorDetails(type=PydanticCustomError(kind, message), loc=(loc,), input=value)],
    )


class _SuggestionFields(BaseModel):
    """The suggestion's own fields; the asset fields are AssetCreate's (added below)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=5000)

    kind: SuggestedKind
    note: Text2000 = Field(None, description="Anything the connector should know; never published.")

    @field_validator("kind", mode="before")
    @classmethod
    def _not_people(cls, value: Any) -> Any:
        if value in PERSON_KINDS:
            raise PydanticCustomError(
                "person_kind",
                "people (skill, volunteer) cannot be suggested: a connector adds them with their "
                "consent; suggest a group, space, organisation, service, business or culture",
            )
        return value

    def to_asset(self) -> AssetCreate:
        """The suggestion as a pending asset to create (AssetCreate's rules all apply)."""
        values = self.model_dump(mode="json", exclude={"note"}, exclude_unset=True)
        # The area was checked as this suggestion's own field: not again (it costs most).
        token = geometry_checked.set(True)
        try:
            return AssetCreate.model_validate(
                {**values, "kind": self.kind, "status": "pending", "source": SUGGESTION_SOURCE}
            )
        finally:
            geometry_checked.reset(token)

    @model_validator(mode="after")
    def _valid_asset(self) -> "_SuggestionFields":
        self.to_asset()  # e.g. at least one name: refused here, with AssetCreate's message
        return self


if TYPE_CHECKING:  # mypy sees the base class; the asset fields exist at run time
    SuggestionCreate = _SuggestionFields
else:
    SuggestionCreate = create_model(
        "SuggestionCreate",
        __base__=_SuggestionFields,
        __doc__="A resident's suggestion of a community asset (not a person): the fields of "
        "an asset, without status, source or consent. It stays hidden until a connector of the "
        "area publishes it.",
        **{
            name: (AssetCreate.model_fields[name].annotation, AssetCreate.model_fields[name])
            for name in SUGGESTED_FIELDS
        },
    )


class ReportCreate(BaseModel):
    """A resident's report that an asset is closed or its details are wrong."""

    model_config = ConfigDict(extra="forbid")

    problem: Problem = Field(description="closed, wrong or other")
    details: Text2000 = Field(None, description="What is wrong (up to 2000 characters).")


class AssetDecision(BaseModel):
    """A connector's decision on a suggestion: publish it, or reject it with a reason."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["publish", "reject"]
    reason: Text2000 = Field(None, description="Required to reject; kept with the record.")

    @model_validator(mode="after")
    def _reason_to_reject(self) -> "AssetDecision":
        if self.decision == "reject" and not self.reason:
            raise _refuse("reason", "missing", "give a reason when rejecting a suggestion", None)
        return self


class ReportDecision(BaseModel):
    """A connector's decision on a report: resolved (acted on) or dismissed."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["resolved", "dismissed"]
    reason: Text2000 = None


# ---- output ------------------------------------------------------------------------------------


class Received(BaseModel):
    """A suggestion or report as received: waiting for a connector."""

    receipt: str = Field(
        description="A reference for this suggestion or report (a keyed hash of it)"
    )
    id: int | None = Field(
        None, description="The record's id: only to a signed-in caller (see My contributions)"
    )
    status: str
    message: str


class SuggestionRead(AssetRead):
    """A pending suggestion in the queue: the asset, who suggested it and their note."""

    suggested_by: str | None
    note: str | None


class ReportRead(BaseModel):
    """A resident's report about an asset."""

    id: int
    asset_id: int
    asset_name: str | None
    problem: Problem
    details: str | None
    reported_by: str
    created_at: datetime
    status: ReportStatus
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class ModerationQueue(BaseModel):
    """What waits for a connector in their patch: suggestions and open reports, oldest first."""

    suggestions: list[SuggestionRead]
    reports: list[ReportRead]


def report_json(row: Report, asset_name: str | None) -> dict[str, Any]:
    """A report as the API returns it (ReportRead)."""
    return {
        "id": row.id,
        "asset_id": row.asset_id,
        "asset_name": asset_name,
        "problem": row.problem,
        "details": row.details,
        "reported_by": row.reported_by,
        "created_at": row.created_at.isoformat(),
        "status": row.status,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "reason": row.reason,
    }
