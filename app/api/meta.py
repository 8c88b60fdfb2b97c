"""/healthz: is this instance able to serve (for load balancers)."""

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import text

from app.api.access import PUBLIC
from app.api.deps import SessionDep
from app.responses import JSONBody

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(tags=["meta"], dependencies=[Depends(PUBLIC)])


class Health(BaseModel):
    """The instance's health."""

    status: str
    database: str


@router.get("/healthz", response_model=Health, summary="Health check")
def health(session: SessionDep) -> Any:
    """200 when the database answers."""
    session.execute(text("SELECT 1"))
    return JSONBody({"status": "ok", "database": session.get_bind().dialect.name})
