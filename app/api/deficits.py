"""/api/v1/deficits: reported service gaps — search, read, report, change and delete."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from app.errors import InvalidInput, error_responses
from app.http.access import Planning, Public
from app.http.deps import (
    MAX_ID,
    BBoxDep,
    Format,
    FormatDep,
    IfMatchDep,
    SessionDep,
    SettingsDep,
    entity_etag,
    expected_entity_version,
)
from app.http.links import public_url
from app.http.listing import list_response
from app.http.responses import CSVBody, GeoJSONBody, JSONBody
from app.http.write_routes import OffLoopBodyRoute
from app.schemas.assets import THEME_CODE
from app.schemas.deficits import (
    DeficitCreate,
    DeficitFeature,
    DeficitFeatureCollection,
    DeficitList,
    DeficitRead,
    DeficitStatus,
    DeficitUpdate,
    deficit_columns,
    deficit_feature,
    deficit_json,
    deficit_row,
    deficits_csv,
)
from app.services.assets.themes import known_codes
from app.services.needs import deficits as service

# Bodies (with their areas) are validated in a worker thread, not on the event loop.
router = APIRouter(prefix="/api/v1/deficits", tags=["deficits"], route_class=OffLoopBodyRoute)

ETAG_PREFIX = "d"
DeficitId = Annotated[int, Path(ge=1, le=MAX_ID, description="The deficit's id")]


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with each `#/$defs/...` reference replaced by the definition it names."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inlined(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inlined(v, defs) for v in node]
    return node


def _alternatives(model: Any) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the GeoJSON and CSV forms of a 200 answer, beside JSON.

    The GeoJSON schema is self-contained: its models (DeficitFeature) are no response model
    of their own, so a reference to them under components/schemas would point nowhere."""
    schema = model.model_json_schema()
    schema = _inlined(schema, schema.get("$defs", {}))
    return {
        200: {
            "content": {
                "application/geo+json": {"schema": schema},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    }


@router.get(
    "",
    response_model=DeficitList,
    responses={**_alternatives(DeficitFeatureCollection), **error_responses(401)},
    summary="Search service deficits",
)
def list_deficits(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    fmt: FormatDep,
    bbox: BBoxDep,
    theme: Annotated[
        list[Annotated[str, Query(max_length=40, pattern=THEME_CODE)]],
        Query(description="theme code; repeat for any of several"),
    ] = [],  # noqa: B006
    status: Annotated[
        list[DeficitStatus], Query(description="open or addressed (default: both)")
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="from a `next` link")] = None,
) -> Any:
    """Reported service gaps by id, filtered by theme, status and bbox (point or area in it).

    Pages are linked by `next` (keyset cursor). JSON by default; `f=geojson` or
    `Accept: application/geo+json` for GeoJSON, `f=csv` for CSV (area as WKT).
    """
    unknown = sorted(set(theme) - known_codes(session, theme))
    if unknown:
        raise InvalidInput(("query", "theme"), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    page = service.list_deficits(
        session, viewer=viewer, theme=theme, status=status, bbox=bbox, limit=limit, cursor=cursor
    )
    return list_response(
        request,
        settings,
        fmt,
        page.records,
        page.next_cursor,
        to_json=deficit_json,
        to_feature=deficit_feature,
        csv_columns=deficit_columns(with_reporter=service.may_see_reporter(viewer)),
        to_row=deficit_row,
    )


def _one(
    record: Mapping[str, Any], fmt: Format, status_code: int = 200, **headers: str
) -> Response:
    headers = {"ETag": entity_etag(ETAG_PREFIX, record["id"], record["version"]), **headers}
    if fmt is Format.geojson:
        return GeoJSONBody(deficit_feature(record), status_code=status_code, headers=headers)
    if fmt is Format.csv:
        text = deficits_csv([record], with_reporter="reporter" in record)
        return CSVBody(text, status_code=status_code, headers=headers)
    return JSONBody(deficit_json(record), status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=DeficitRead,
    responses=error_responses(401, 403, 409, 413),
    summary="Report a service deficit",
)
def create_deficit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    writer: Planning,
    body: DeficitCreate,
) -> Response:
    """Record a service gap (status `open` and today's date unless given). Needs a bearer token."""
    deficit = service.create_deficit(session, actor=writer.actor or "admin", data=body)
    # Read inside the transaction, then commit: nothing after a commit can fail the request.
    record = service.get_deficit(session, viewer=writer, deficit_id=deficit.id)
    session.commit()
    location = public_url(request, settings, f"/api/v1/deficits/{deficit.id}")
    return _one(record, Format.json, 201, Location=location)


@router.get(
    "/{deficit_id}",
    response_model=DeficitRead,
    responses={**_alternatives(DeficitFeature), **error_responses(401, 404)},
    summary="One service deficit",
)
def get_deficit(
    deficit_id: DeficitId, session: SessionDep, viewer: Public, fmt: FormatDep
) -> Response:
    """One deficit, with its ETag (send it as If-Match to change or delete it)."""
    return _one(service.get_deficit(session, viewer=viewer, deficit_id=deficit_id), fmt)


@router.patch(
    "/{deficit_id}",
    response_model=DeficitRead,
    responses=error_responses(401, 403, 404, 412, 413, 428),
    summary="Change a service deficit",
)
def update_deficit(
    deficit_id: DeficitId,
    session: SessionDep,
    writer: Planning,
    if_match: IfMatchDep,
    body: DeficitUpdate,
) -> Response:
    """Change the fields sent (e.g. `status: addressed`); needs If-Match with the current ETag."""
    service.update_deficit(
        session,
        viewer=writer,
        deficit_id=deficit_id,
        expected_version=expected_entity_version(if_match, ETAG_PREFIX, deficit_id),
        data=body,
    )
    # Read inside the transaction, then commit: nothing after a commit can fail the request.
    record = service.get_deficit(session, viewer=writer, deficit_id=deficit_id)
    session.commit()
    return _one(record, Format.json)


@router.delete(
    "/{deficit_id}",
    status_code=204,
    responses=error_responses(401, 403, 404, 412, 428),
    summary="Delete a service deficit",
)
def delete_deficit(
    deficit_id: DeficitId, session: SessionDep, writer: Planning, if_match: IfMatchDep
) -> Response:
    """Delete the deficit (the audit trail keeps its last values); needs If-Match."""
    service.delete_deficit(
        session,
        viewer=writer,
        deficit_id=deficit_id,
        expected_version=expected_entity_version(if_match, ETAG_PREFIX, deficit_id),
    )
    session.commit()
    return Response(status_code=204)
