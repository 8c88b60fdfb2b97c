"""/api/v1/postcodes: where a postcode is, and which area it is in."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from app.errors import InvalidInput, error_responses
from app.http.access import PUBLIC
from app.http.deps import SessionDep
from app.http.responses import JSONBody
from app.schemas.assets import normalise_postcode
from app.schemas.postcodes import PostcodeRead, postcode_json
from app.services.needs.postcodes import lookup_postcode

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(prefix="/api/v1/postcodes", tags=["postcodes"], dependencies=[Depends(PUBLIC)])


@router.get(
    "/{postcode}",
    response_model=PostcodeRead,
    responses=error_responses(404),
    summary="Look up a postcode",
)
def get_postcode(
    session: SessionDep,
    postcode: Annotated[str, Path(max_length=20, description="any spacing and case: cf101aa")],
) -> Any:
    """The postcode's centroid (GeoJSON Point) and the area it is in (null when none).

    Spacing and case do not matter ('cf101aa', 'CF10  1AA'). The area is the one published
    with the postcode (e.g. its LSOA) when that area is loaded, else the smallest area that
    contains the centroid. A malformed postcode is a 422; one not held is a 404.
    """
    try:
        normal = normalise_postcode(postcode)
    except ValueError as exc:
        raise InvalidInput(("path", "postcode"), str(exc)) from exc
    return JSONBody(postcode_json(lookup_postcode(session, normal)))
