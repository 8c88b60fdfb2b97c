"""/api/v1/contributions: what the signed-in user contributed, and where each stands (the API
twin of the "My contributions" page). Nobody can read anybody else's."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from app.errors import error_responses
from app.http.access import SignedIn
from app.http.deps import SessionDep
from app.http.responses import JSONBody
from app.models import User
from app.services.coproduction.contributions import Contributions, contributions_of

router = APIRouter(prefix="/api/v1/contributions", tags=["co-production"])


@router.get(
    "",
    response_model=Contributions,
    responses=error_responses(401),
    summary="Your contributions",
)
def my_contributions(session: SessionDep, viewer: SignedIn) -> Any:
    """Your suggestions, reports, the assets you use, your offers of help, the gaps you reported
    or supported and your introduction requests, each with its status (a declined offer or gap
    with the reason). Empty for the admin token, which is nobody's account."""
    user = session.get(User, viewer.user_id) if viewer.user_id is not None else None
    if user is None:
        return JSONBody(asdict(Contributions([], [], [], [], [], [])))
    return JSONBody(asdict(contributions_of(session, user)))
