"""The audit trail as it leaves the server: who changed what, when, before and after."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEventRead(BaseModel):
    """One change to one entity. People's locations show only as "changed"; erased people's
    values as "erased"."""

    id: int
    occurred_at: datetime
    actor: str = Field(description='who: "role:id", "cli", "system" or "anonymous"')
    action: str = Field(description="create, update, archive, consent, erase, ...")
    entity_type: str = Field(description="asset, deficit, user, ...")
    entity_id: str
    changes: dict[str, Any] = Field(description="field -> [before, after]")


class AuditEventList(BaseModel):
    """A page of audit events, newest first; `next` links to the older ones."""

    items: list[AuditEventRead]
    numberReturned: int
    next: str | None


class AuditQuery(BaseModel):
    """What the audit page's filter form sends: the parameters of `GET /api/v1/audit`, with
    the same limits (`since` and `until` may also be dates, from the form's date fields)."""

    entity_type: str | None = Field(None, max_length=40)
    entity_id: str | None = Field(None, max_length=64)
    actor: str | None = Field(None, max_length=200)
    action: str | None = Field(None, max_length=40)
    since: str | None = Field(None, max_length=40)
    until: str | None = Field(None, max_length=40)
    limit: int = Field(100, ge=1, le=500)
    cursor: str | None = Field(None, max_length=200)
