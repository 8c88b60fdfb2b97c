"""/api/v1/assets: search, read and change community assets."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from app.errors import InvalidInput, error_responses
from app.http.access import Editor, Public
from app.http.deps import (
    MAX_ID,
    BBoxDep,
    Format,
    FormatDep,
    IfMatchDep,
    NearDep,
    SessionDep,
    SettingsDep,
    etag,
    expected_version,
)
from app.http.links import public_url
from app.http.listing import built_list_response, list_response
from app.http.responses import CSVBody, GeoJSONBody, JSONBody
from app.http.write_routes import OffLoopBodyRoute
from app.schemas.assets import (
    THEME_CODE,
    AssetCreate,
    AssetFeature,
    AssetFeatureCollection,
    AssetList,
    AssetRead,
    AssetUpdate,
    Kind,
    Status,
    canonical_feature,
    canonical_json,
)
from app.schemas.tabular import asset_row, csv_columns, csv_text
from app.services.assets import records as service
from app.services.assets.list_sql import Shape, list_asset_bodies
from app.services.assets.themes import known_codes

# Bodies (with their areas) are validated in a worker thread, not on the event loop.
router = APIRouter(prefix="/api/v1/assets", tags=["assets"], route_class=OffLoopBodyRoute)

AssetId = Annotated[int, Path(ge=1, le=MAX_ID, description="The asset's id")]

LIST_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/geo+json": {
                "schema": AssetFeatureCollection.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
            },
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}
ONE_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/geo+json": {
                "schema": AssetFeature.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
            },
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


@router.get(
    "",
    response_model=AssetList,
    responses={**LIST_CONTENT, **error_responses(401)},
    summary="Search assets",
)
def list_assets(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    fmt: FormatDep,
    bbox: BBoxDep,
    near: NearDep,
    kind: Annotated[list[Kind], Query(description="ABCD kind; repeat for any of several")] = [],  # noqa: B006
    theme: Annotated[
        list[Annotated[str, Query(max_length=40, pattern=THEME_CODE)]],
        Query(description="theme code; repeat for any of several"),
    ] = [],  # noqa: B006
    q: Annotated[str | None, Query(max_length=200, description="text in either language")] = None,
    status: Annotated[
        list[Status], Query(description="lifecycle status (default: published)")
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="from a `next` link")] = None,
) -> Any:
    """Published assets, filtered; nearest first with `near`, each with `distance_m`.

    Pages are linked by `next` (keyset cursor). JSON by default; `f=geojson` or
    `Accept: application/geo+json` for GeoJSON, `f=csv` for CSV.
    """
    unknown = sorted(set(theme) - known_codes(session, theme))
    if unknown:
        raise InvalidInput(("query", "theme"), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    filters = service.AssetFilters(
        kinds=tuple(kind),
        themes=tuple(theme),
        q=q.strip() or None if q else None,
        bbox=bbox,
        near=near,
        statuses=tuple(status),
    )
    if fmt is not Format.csv:  # the database writes the page's JSON (services/assets/list_sql)
        shape: Shape = "feature" if fmt is Format.geojson else "json"
        bodies = list_asset_bodies(
            session, viewer=viewer, filters=filters, limit=limit, cursor=cursor, shape=shape
        )
        return built_list_response(
            request, settings, fmt, bodies.items, bodies.count, bodies.next_cursor
        )
    page = service.list_assets(session, viewer=viewer, filters=filters, limit=limit, cursor=cursor)
    return list_response(
        request,
        settings,
        fmt,
        page.records,
        page.next_cursor,
        to_json=canonical_json,
        to_feature=canonical_feature,
        csv_columns=csv_columns(with_distance=near is not None),
        to_row=asset_row,
    )


def _one(
    record: Mapping[str, Any], fmt: Format, status_code: int = 200, **headers: str
) -> Response:
    headers = {"ETag": etag(record["id"], record["version"]), **headers}
    if fmt is Format.geojson:
        return GeoJSONBody(canonical_feature(record), status_code=status_code, headers=headers)
    if fmt is Format.csv:
        return CSVBody(csv_text([record]), status_code=status_code, headers=headers)
    return JSONBody(canonical_json(record), status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=AssetRead,
    responses=error_responses(401, 403, 409, 413),
    summary="Add an asset",
)
def create_asset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    writer: Editor,
    body: AssetCreate,
) -> Response:
    """Add an asset (status `pending` unless given). Needs a bearer token."""
    asset = service.create_asset(session, actor=writer.actor or "admin", data=body, viewer=writer)
    # Read inside the transaction, then commit: nothing after a commit can fail the request.
    record = service.get_asset(session, viewer=writer, asset_id=asset.id)
    session.commit()
    location = public_url(request, settings, f"/api/v1/assets/{asset.id}")
    return _one(record, Format.json, 201, Location=location)


@router.get(
    "/{asset_id}",
    response_model=AssetRead,
    responses={**ONE_CONTENT, **error_responses(401, 404)},
    summary="One asset",
)
def get_asset(asset_id: AssetId, session: SessionDep, viewer: Public, fmt: FormatDep) -> Response:
    """One asset, with its ETag (send it as If-Match to change or delete it)."""
    return _one(service.get_asset(session, viewer=viewer, asset_id=asset_id), fmt)


@router.patch(
    "/{asset_id}",
    response_model=AssetRead,
    responses=error_responses(401, 403, 404, 412, 413, 428),
    summary="Change an asset",
)
def update_asset(
    asset_id: AssetId,
    session: SessionDep,
    writer: Editor,
    if_match: IfMatchDep,
    body: AssetUpdate,
) -> Response:
    """Change the fields sent; needs If-Match with the current ETag (412 if stale: checked by
    the database in the same write, so of two editors with one ETag exactly one succeeds)."""
    service.update_asset(
        session,
        viewer=writer,
        asset_id=asset_id,
        expected_version=expected_version(if_match, asset_id),
        data=body,
    )
    # Read inside the transaction, then commit: nothing after a commit can fail the request.
    record = service.get_asset(session, viewer=writer, asset_id=asset_id)
    session.commit()
    return _one(record, Format.json)


@router.delete(
    "/{asset_id}",
    status_code=204,
    responses=error_responses(401, 403, 404, 412, 413, 428),
    summary="Archive an asset",
)
def archive_asset(
    asset_id: AssetId, session: SessionDep, writer: Editor, if_match: IfMatchDep
) -> Response:
    """Archive the asset (it leaves public view; its record and history stay)."""
    service.archive_asset(
        session,
        viewer=writer,
        asset_id=asset_id,
        expected_version=expected_version(if_match, asset_id),
    )
    session.commit()
    return Response(status_code=204)


@router.post(
    "/{asset_id}/checks",
    response_model=AssetRead,
    responses=error_responses(401, 403, 404, 412, 413, 428),
    summary="Mark an asset as checked today",
)
def mark_checked(
    asset_id: AssetId, session: SessionDep, writer: Editor, if_match: IfMatchDep
) -> Response:
    """Record that you checked the asset today (it still exists and its details are right):
    sets `last_verified_at` to now and writes an audit event (action `check`). Needs If-Match
    with the current ETag (412 if stale); answers with the asset and its new ETag."""
    service.mark_checked(
        session,
        viewer=writer,
        asset_id=asset_id,
        expected_version=expected_version(if_match, asset_id),
    )
    # Read inside the transaction, then commit: nothing after a commit can fail the request.
    record = service.get_asset(session, viewer=writer, asset_id=asset_id)
    session.commit()
    return _one(record, Format.json)
