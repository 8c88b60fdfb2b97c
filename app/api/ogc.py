"""/ogc: the public assets as OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0).

GIS clients (QGIS, GDAL's OAPIF driver) read it without adapters. It shows what an anonymous
resident sees: every read goes through the assets service and its visibility rule.
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from sqlalchemy.orm import Session

from app.errors import ErrorBody, InvalidInput, NotFound
from app.formats.geojson import feature_collection
from app.http.access import PUBLIC
from app.http.deps import MAX_ID, BBoxDep, SessionDep, SettingsDep
from app.http.links import page_url, public_url
from app.http.responses import GeoJSONBody, JSONBody
from app.schemas.assets import AssetFeature, AssetFeatureCollection, Kind, asset_feature
from app.schemas.ogc import (
    CONFORMANCE_CLASSES,
    DEFAULT_LIMIT,
    GEOJSON,
    JSON,
    MAX_LIMIT,
    OPENAPI_30,
    Collection,
    Collections,
    Conformance,
    LandingPage,
    assets_collection,
    link,
    ogc_openapi,
)
from app.services.assets import records as service
from app.services.assets.themes import known_codes
from app.services.assets.visibility import ANONYMOUS
from app.settings import Settings

PREFIX = "/ogc"
COLLECTION_IDS = ["assets"]

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(prefix=PREFIX, tags=["ogc"], dependencies=[Depends(PUBLIC)])

CollectionId = Annotated[
    str, Path(alias="collectionId", max_length=100, description="collection id: `assets`")
]
FeatureId = Annotated[int, Path(alias="featureId", ge=1, le=MAX_ID, description="the asset's id")]
Encoding = Annotated[Literal["json"] | None, Query(description="json (the only encoding)")]

# RFC 3339 date-time (or date): an instant, or an interval with `..` for at most one open end.
_INSTANT = r"\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?"
_DATETIME = re.compile(rf"^(?:{_INSTANT}|{_INSTANT}/(?:{_INSTANT}|\.\.)|\.\./{_INSTANT})$")

# Declared by hand: error bodies are application/json even where features are geo+json.
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Unknown collection or feature",
        "content": {"application/json": {"schema": ErrorBody.model_json_schema()}},
    }
}


def _url(request: Request, settings: Settings, path: str = "") -> str:
    return public_url(request, settings, PREFIX + path)


def _check_collection(collection_id: str) -> None:
    if collection_id not in COLLECTION_IDS:
        raise NotFound(f"no collection {collection_id!r}; see {PREFIX}/collections")


@router.get("", response_model=LandingPage, summary="OGC API landing page")
def landing_page(request: Request, settings: SettingsDep, f: Encoding = None) -> JSONBody:
    """Links to the API definition, the conformance classes and the collections."""
    return JSONBody(
        {
            "title": "assetmap: community assets",
            "description": "Community assets in Wales, as OGC API - Features.",
            "links": [
                link(_url(request, settings), "self", JSON, "This document"),
                link(_url(request, settings, "/api"), "service-desc", OPENAPI_30, "The API"),
                link(public_url(request, settings, "/docs"), "service-doc", "text/html", "Docs"),
                link(_url(request, settings, "/conformance"), "conformance", JSON, "Conformance"),
                link(_url(request, settings, "/collections"), "data", JSON, "The collections"),
            ],
        }
    )


@router.get("/api", include_in_schema=False)
def api_definition(request: Request, settings: SettingsDep) -> JSONBody:
    """The OpenAPI 3.0 definition of this OGC API (paths relative to the landing page)."""
    app = request.app
    routes_doc = getattr(app.state, "ogc_openapi", None)
    if routes_doc is None:
        # From this router's routes only (the whole app's document takes ~1 s), once per app.
        routes_doc = get_openapi(title=app.title, version=app.version, routes=router.routes)
        app.state.ogc_openapi = routes_doc
    doc = ogc_openapi(
        routes_doc, prefix=PREFIX, server_url=_url(request, settings), collection_ids=COLLECTION_IDS
    )
    return JSONBody(doc, media_type=OPENAPI_30)


@router.get("/conformance", response_model=Conformance, summary="Conformance classes")
def conformance(f: Encoding = None) -> JSONBody:
    """The OGC API - Features conformance classes implemented: core, geojson, oas30."""
    return JSONBody({"conformsTo": CONFORMANCE_CLASSES})


def _collection(request: Request, settings: Settings, session: Session) -> dict[str, Any]:
    extent = service.extent_of_assets(session, viewer=ANONYMOUS)
    return assets_collection(
        collection_url=_url(request, settings, "/collections/assets"), extent=extent
    )


@router.get("/collections", response_model=Collections, summary="Feature collections")
def collections(
    request: Request, session: SessionDep, settings: SettingsDep, f: Encoding = None
) -> JSONBody:
    """The feature collections offered (one: `assets`)."""
    return JSONBody(
        {
            "links": [link(_url(request, settings, "/collections"), "self", JSON)],
            "collections": [_collection(request, settings, session)],
        }
    )


@router.get(
    "/collections/{collectionId}",
    response_model=Collection,
    responses=NOT_FOUND,
    summary="One feature collection",
)
def collection(
    collection_id: CollectionId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    f: Encoding = None,
) -> JSONBody:
    """A collection's description: extent (of the visible assets), CRS, links to its items."""
    _check_collection(collection_id)
    return JSONBody(_collection(request, settings, session))


def _check_datetime(value: str | None) -> None:
    if value is not None and not _DATETIME.match(value):
        raise InvalidInput(
            ("query", "datetime"), "an RFC 3339 date-time, or an interval start/end with '..'"
        )


@router.get(
    "/collections/{collectionId}/items",
    response_class=GeoJSONBody,
    response_model=AssetFeatureCollection,
    responses=NOT_FOUND,
    summary="Features of a collection",
)
def items(
    collection_id: CollectionId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bbox: BBoxDep,
    limit: Annotated[
        int,
        Query(
            ge=1,
            description=f"features per page (at most {MAX_LIMIT}; more is treated as "
            f"{MAX_LIMIT}, as OGC API - Features requires)",
            json_schema_extra={"maximum": MAX_LIMIT},
        ),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200, description="from a `next` link")] = None,
    kind: Annotated[list[Kind], Query(description="ABCD kind; repeat for any of several")] = [],  # noqa: B006
    theme: Annotated[
        list[Annotated[str, Query(max_length=40)]],
        Query(description="theme code; repeat for any of several"),
    ] = [],  # noqa: B006
    themes: Annotated[
        list[Annotated[str, Query(max_length=40)]],
        Query(
            description="the same as `theme`, named after the `themes` property as OGC clients "
            "(GDAL) expect: `themes=food` finds assets with food among their themes"
        ),
    ] = [],  # noqa: B006
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            max_length=100,
            description="accepted for OGC clients; assets have no temporal extent, so it does "
            "not narrow the result",
        ),
    ] = None,
    f: Encoding = None,
) -> GeoJSONBody:
    """Visible assets as a GeoJSON FeatureCollection, by id, a page at a time (`next` link)."""
    _check_collection(collection_id)
    _check_datetime(datetime_)
    codes = list(dict.fromkeys(theme + themes))
    unknown = sorted(set(codes) - known_codes(session, codes))
    if unknown:
        name = "theme" if unknown[0] in theme else "themes"
        raise InvalidInput(("query", name), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    filters = service.AssetFilters(kinds=tuple(kind), themes=tuple(codes), bbox=bbox)
    page_size = min(limit, MAX_LIMIT)
    page = service.list_assets(
        session, viewer=ANONYMOUS, filters=filters, limit=page_size, cursor=cursor
    )
    links = [
        link(public_url(request, settings), "self", GEOJSON, "This page"),
        link(_url(request, settings, f"/collections/{collection_id}"), "collection", JSON),
    ]
    if page.next_cursor:
        url = page_url(request, settings, cursor=page.next_cursor, limit=page_size)
        links.append(link(url, "next", GEOJSON, "Next page"))
    body = feature_collection(
        [asset_feature(r) for r in page.records],
        numberReturned=len(page.records),
        timeStamp=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        links=links,
    )
    if cursor is None:
        # Counting costs a scan, so only the first page says how many there are in all.
        body["numberMatched"] = service.count_assets(session, viewer=ANONYMOUS, filters=filters)
    return GeoJSONBody(body)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    response_class=GeoJSONBody,
    response_model=AssetFeature,
    responses=NOT_FOUND,
    summary="One feature",
)
def item(
    collection_id: CollectionId,
    feature_id: FeatureId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    f: Encoding = None,
) -> GeoJSONBody:
    """One visible asset as a GeoJSON Feature; 404 when it is unknown or not public."""
    _check_collection(collection_id)
    record = service.get_asset(session, viewer=ANONYMOUS, asset_id=feature_id)
    feature = asset_feature(record)
    feature["links"] = [
        link(public_url(request, settings), "self", GEOJSON),
        link(_url(request, settings, f"/collections/{collection_id}"), "collection", JSON),
    ]
    return GeoJSONBody(feature)
