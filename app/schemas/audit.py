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
