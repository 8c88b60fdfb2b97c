"""/healthz and /readyz: is this instance alive, and can it serve (for load balancers)."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.db import database_unavailable
from app.errors import OUTAGE_RETRY_AFTER
from app.http.access import PUBLIC
from app.http.responses import JSONBody
from app.migrate import current_revisions, head_revisions

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(tags=["meta"], dependencies=[Depends(PUBLIC)])


class Health(BaseModel):
    """The process is alive."""

    status: str


class Readiness(BaseModel):
    """Whether the instance can serve: its database answers and is at the code's revision."""

    status: str
    database: str
    revision: list[str]
    expected: list[str]


@router.get("/healthz", response_model=Health, summary="Liveness check")
def health() -> Any:
    """200 while the process runs, whatever the database does (restart the process only if
    this fails; take it out of the load balancer when /readyz fails)."""
    return JSONBody({"status": "ok"})


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness check",
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
def ready(request: Request) -> Any:
    """200 when the database answers and is migrated to the revision this code expects; 503
    (with Retry-After) when it is unreachable, empty, or at another revision."""
    engine: Engine = request.app.state.engine
    expected = sorted(head_revisions())
    revision: list[str] = []
    try:
        with engine.connect() as connection:
            revision = sorted(current_revisions(connection))
    except (DBAPIError, PoolTimeout) as exc:
        if not database_unavailable(exc):
            raise
        request.app.state.outages.failed(exc)
        status = "unavailable"
    else:
        if not revision:
            status = "not migrated"
        elif revision != expected:
            status = "wrong revision"
        else:
            status = "ready"
    body = {
        "status": status,
        "database": engine.dialect.name,
        "revision": revision,
        "expected": expected,
    }
    if status == "ready":
        return JSONBody(body)
    return JSONBody(body, status_code=503, headers={"Retry-After": str(OUTAGE_RETRY_AFTER)})
