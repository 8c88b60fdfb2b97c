"""/ogc: OGC API - Features (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 2 CRS; Part 3 queryables)
over three collections: the public assets, the small areas (with population) and the reported
service deficits.

GIS clients (QGIS, GDAL's OAPIF driver, OWSLib) read it without adapters. It shows what an
anonymous resident sees: every read goes through the services and their visibility rules.
As the standard says, an invalid or unknown query parameter is a 400 with an OGC exception
body (`code`, `description`; app/errors.py). Geometries are CRS84 unless `crs` asks for
EPSG:27700 (British National Grid); `bbox-crs` says which a `bbox` is in; `Content-Crs` says
which an answer is in. `f=html` (or a browser's Accept) answers a page for people instead, and
/cy/ogc the same pages in Welsh (app/api/ogc_pages.py).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from shapely.geometry import box as shapely_box
from sqlalchemy.orm import Session

from app.api.ogc_pages import OgcRoute, items_page, ogc_page, shown, wants_html, welsh_twin
from app.errors import InvalidInput, NotFound
from app.formats.geojson import feature_collection
from app.http.access import PUBLIC
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.http.links import page_url, public_url
from app.http.responses import GeoJSONBody, JSONBody
from app.schemas.areas import area_feature
from app.schemas.assets import AssetFeature, AssetFeatureCollection, Kind, asset_feature
from app.schemas.deficits import DeficitStatus, deficit_feature
from app.schemas.ogc import (
    CONFORMANCE_CLASSES,
    CRS84,
    DEFAULT_LIMIT,
    EPSG_27700_URI,
    GEOJSON,
    JSON,
    MAX_LIMIT,
    OPENAPI_30,
    SCHEMA_JSON,
    Collection,
    Collections,
    Conformance,
    LandingPage,
    OgcException,
    collection_document,
    link,
    ogc_openapi,
)
from app.services.assets import records as service
from app.services.assets.themes import known_codes
from app.services.assets.visibility import ANONYMOUS
from app.services.needs import deficits as deficit_service
from app.services.needs.analysis import GapParameters
from app.services.needs.areas import count_areas, get_area, list_areas
from app.services.needs.extents import areas_extent, deficits_extent
from app.services.needs.planner import planner_gaps
from app.settings import Settings
from app.spatial import BBox
from app.spatial.geometry import (
    bbox_from_british_national_grid,
    check_lon_lat,
    geojson,
    to_british_national_grid,
)
from app.vocabularies import LEVELS, PUBLIC_KINDS

PREFIX = "/ogc"
GAP_CATEGORIES = ("priority", "strength", "well_served", "low_need")
# The properties of a gap-analysis feature (those of /api/v1/analysis/gaps).
GAP_PROPERTIES = (
    "area_code", "area_name", "area_name_cy", "population", "need_value", "need_percentile",
    "need_decile", "assets_in_area", "assets_within_distance", "assets_per_1000", "category",
)  # fmt: skip
Level = Literal[LEVELS]  # type: ignore[valid-type]

# ---- the collections -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionInfo:
    """One collection: what it holds, the filters its items take, and its queryables."""

    id: str
    title: str
    description: str
    filters: frozenset[str]
    queryables: dict[str, dict[str, Any]] = field(default_factory=dict)


COLLECTIONS = {
    "assets": CollectionInfo(
        "assets",
        "Community assets",
        "Published community assets (groups, spaces, organisations, services, businesses, "
        "culture) as points, with bilingual names and themes. People never appear.",
        frozenset({"kind", "theme", "themes"}),
        {
            "kind": {"title": "Kind of asset", "type": "string", "enum": list(PUBLIC_KINDS)},
            "themes": {"title": "Theme code (any of the asset's themes)", "type": "string"},
        },
    ),
    "areas": CollectionInfo(
        "areas",
        "Small areas",
        "The areas held (LSOAs, MSOAs, wards, local authorities) as polygons, with names in "
        "English and Welsh and their population.",
        frozenset({"level"}),
        {"level": {"title": "Level of the area", "type": "string", "enum": list(LEVELS)}},
    ),
    "deficits": CollectionInfo(
        "deficits",
        "Reported service deficits",
        "Reported service gaps (what is missing, where) as points or areas, with their theme "
        "and status; who reported them is never shown.",
        frozenset({"theme", "status"}),
        {
            "theme": {"title": "Theme code", "type": "string"},
            "status": {"title": "Status", "type": "string", "enum": ["open", "addressed"]},
        },
    ),
    "gaps": CollectionInfo(
        "gaps",
        "Gap analysis",
        "Each area's need beside the published assets of a theme, and its category (priority, "
        "strength, well_served, low_need), as /planner shows it. Ask for one analysis: "
        "`indicator` and `theme` are required; `level`, `distance_m`, `high_need_percentile` "
        "and `min_assets` as on /planner; `category` narrows it.",
        frozenset(
            {
                "indicator",
                "theme",
                "level",
                "distance_m",
                "high_need_percentile",
                "min_assets",
                "category",
            }
        ),
        {
            "category": {
                "title": "Gap category",
                "type": "string",
                "enum": list(GAP_CATEGORIES),
            },
        },
    ),
}
COLLECTION_IDS = list(COLLECTIONS)
# Query parameters every items request may carry, besides its collection's filters.
ITEMS_PARAMETERS = frozenset({"f", "bbox", "bbox-crs", "crs", "limit", "cursor", "datetime"})
CRS_URIS = (CRS84, EPSG_27700_URI)


# Declared by hand: error bodies are application/json even where features are geo+json.
# With f=html (or a browser's Accept) every answer, errors too, is a page.
PAGE = {"text/html": {"schema": {"type": "string"}}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Unknown collection or feature",
        "content": {"application/json": {"schema": OgcException.model_json_schema()}, **PAGE},
    }
}
OGC_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"description": "The document (JSON), or a page (f=html)", "content": PAGE},
    400: {
        "description": "An invalid or unknown query parameter",
        "content": {"application/json": {"schema": OgcException.model_json_schema()}, **PAGE},
    },
    503: {
        "description": "The database is unavailable just now (see Retry-After)",
        "content": {"application/json": {"schema": OgcException.model_json_schema()}, **PAGE},
    },
}


def known_parameters(request: Request) -> None:
    """400 for a query parameter this path does not take (OGC API - Features, /req/core)."""
    route = request.scope.get("route")
    path = getattr(route, "path", "")
    collection = COLLECTIONS.get(request.path_params.get("collectionId", ""))
    if path.endswith("/items"):
        allowed = ITEMS_PARAMETERS | (collection.filters if collection else frozenset())
    elif path.endswith("/items/{featureId}"):
        allowed = frozenset({"f", "crs"})
    elif path.endswith("/collections/{collectionId}") and collection and collection.id == "gaps":
        # One analysis's collection: its items link carries the analysis (GDAL follows it).
        allowed = frozenset({"f"}) | collection.filters
    else:
        allowed = frozenset({"f"})
    if wants_html(request):
        allowed |= {"lang"}  # the language switch of a page
    for name in request.query_params:
        if name not in allowed:
            raise InvalidInput(
                ("query", name),
                f"unknown parameter; this path takes {', '.join(sorted(allowed))}",
            )


english = APIRouter(
    prefix=PREFIX,
    tags=["ogc"],
    dependencies=[Depends(PUBLIC), Depends(known_parameters)],
    responses=OGC_ERRORS,
    route_class=OgcRoute,
)

CollectionId = Annotated[
    str,
    Path(alias="collectionId", max_length=100, description="`assets`, `areas` or `deficits`"),
]
FeatureId = Annotated[
    str,
    Path(
        alias="featureId",
        max_length=100,
        description="an asset's or deficit's id, or an area's code",
    ),
]
Encoding = Annotated[
    Literal["json", "html"] | None,
    Query(description="json (the default), or html: a page for people to read"),
]
Crs = Annotated[
    str | None,
    Query(description=f"the CRS of the answer's geometries: {CRS84} (default) or {EPSG_27700_URI}"),
]

# RFC 3339 date-time (or date): an instant, or an interval with `..` for at most one open end.
_INSTANT = r"\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?"
_DATETIME = re.compile(rf"^(?:{_INSTANT}|{_INSTANT}/(?:{_INSTANT}|\.\.)|\.\./{_INSTANT})$")


def _url(request: Request, settings: Settings, path: str = "") -> str:
    return public_url(request, settings, PREFIX + path)


def _collection_info(collection_id: str) -> CollectionInfo:
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(f"no collection {collection_id!r}; see {PREFIX}/collections")
    return found


def _crs(value: str | None, name: str = "crs") -> str:
    if value is None:
        return CRS84
    if value not in CRS_URIS:
        raise InvalidInput(("query", name), f"one of {', '.join(CRS_URIS)}")
    return value


def _in_crs(feature: dict[str, Any], crs: str) -> dict[str, Any]:
    if crs == CRS84:
        return feature
    feature = {**feature, "geometry": to_british_national_grid(feature.get("geometry"))}
    if isinstance(feature.get("properties", {}).get("area"), dict):
        area = to_british_national_grid(feature["properties"]["area"])
        feature["properties"] = {**feature["properties"], "area": area}
    return feature


def _crs_headers(crs: str) -> dict[str, str]:
    return {"Content-Crs": f"<{crs}>"}


# ---- landing page, API definition, conformance -------------------------------------------------


@english.get("", response_model=LandingPage, summary="OGC API landing page")
def landing_page(request: Request, settings: SettingsDep, f: Encoding = None) -> Response:
    """Links to the API definition, the conformance classes and the collections."""
    document = {
        "title": "assetmap: community assets beside service deficits",
        "description": "Community assets, small areas and reported service deficits in "
        "Wales, as OGC API - Features.",
        "links": [
            link(_url(request, settings), "self", JSON, "This document"),
            link(_url(request, settings, "/api"), "service-desc", OPENAPI_30, "The API"),
            link(public_url(request, settings, "/docs"), "service-doc", "text/html", "Docs"),
            link(_url(request, settings, "/conformance"), "conformance", JSON, "Conformance"),
            link(_url(request, settings, "/collections"), "data", JSON, "The collections"),
        ],
    }
    if wants_html(request):
        return ogc_page(request, "landing.html", document=document)
    return JSONBody(document)


@english.get("/api", include_in_schema=False)
def api_definition(request: Request, settings: SettingsDep) -> JSONBody:
    """The OpenAPI 3.0 definition of this OGC API (paths relative to the landing page)."""
    app = request.app
    routes_doc = getattr(app.state, "ogc_openapi", None)
    if routes_doc is None:
        # From this router's routes only (the whole app's document takes ~1 s), once per app.
        routes_doc = get_openapi(title=app.title, version=app.version, routes=english.routes)
        app.state.ogc_openapi = routes_doc
    doc = ogc_openapi(
        routes_doc,
        prefix=PREFIX,
        server_url=_url(request, settings),
        filters={c.id: c.filters for c in COLLECTIONS.values()},
        all_filters=frozenset().union(*(c.filters for c in COLLECTIONS.values())),
    )
    return JSONBody(doc, media_type=OPENAPI_30)


@english.get("/conformance", response_model=Conformance, summary="Conformance classes")
def conformance(request: Request, f: Encoding = None) -> Response:
    """The conformance classes implemented: Part 1 core, geojson, oas30; Part 2 crs; Part 3
    queryables and queryables as query parameters."""
    if wants_html(request):
        return ogc_page(request, "conformance.html", classes=CONFORMANCE_CLASSES)
    return JSONBody({"conformsTo": CONFORMANCE_CLASSES})


# ---- collections ---------------------------------------------------------------------------------


def _extent(session: Session, collection_id: str) -> BBox | None:
    if collection_id == "assets":
        return service.extent_of_assets(session, viewer=ANONYMOUS)
    if collection_id in ("areas", "gaps"):
        return areas_extent(session)
    return deficits_extent(session)


def _collection(
    request: Request,
    settings: Settings,
    session: Session,
    info: CollectionInfo,
    items_query: str = "",
) -> dict[str, Any]:
    return collection_document(
        collection_id=info.id,
        title=info.title,
        description=info.description,
        collection_url=_url(request, settings, f"/collections/{info.id}"),
        extent=_extent(session, info.id),
        items_query=items_query,
    )


@english.get("/collections", response_model=Collections, summary="Feature collections")
def collections(
    request: Request, session: SessionDep, settings: SettingsDep, f: Encoding = None
) -> Response:
    """The feature collections offered: assets, areas, deficits, gaps."""
    document = {
        "links": [link(_url(request, settings, "/collections"), "self", JSON)],
        "collections": [
            _collection(request, settings, session, info) for info in COLLECTIONS.values()
        ],
    }
    if wants_html(request):
        return ogc_page(request, "collections.html", collections=document["collections"])
    return JSONBody(document)


@english.get(
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
) -> Response:
    """A collection's description: extent, CRS, links to its items and queryables. For `gaps`,
    an analysis's parameters (`indicator`, `theme`, ...) given here are carried by the items
    link, so a client opening this URL reads that analysis."""
    info = _collection_info(collection_id)
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("f", "lang")]
    document = _collection(request, settings, session, info, urlencode(pairs))
    if wants_html(request):
        return ogc_page(request, "collection.html", collection=document, analysis=dict(pairs))
    return JSONBody(document)


@english.get(
    "/collections/{collectionId}/queryables",
    responses=NOT_FOUND,
    summary="What a collection's items can be filtered by",
)
def queryables(
    collection_id: CollectionId, request: Request, settings: SettingsDep, f: Encoding = None
) -> Response:
    """The properties a collection's items can be filtered by, as a JSON Schema (Part 3): each
    is also a query parameter of its items (`kind=group`, `themes=food`, `level=lsoa`)."""
    info = _collection_info(collection_id)
    url = _url(request, settings, f"/collections/{info.id}/queryables")
    if wants_html(request):
        return ogc_page(
            request, "queryables.html", collection_id=info.id, queryables=info.queryables
        )
    return JSONBody(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": url,
            "type": "object",
            "title": info.title,
            "properties": info.queryables,
            "additionalProperties": False,
        },
        media_type=SCHEMA_JSON,
    )


# ---- items ---------------------------------------------------------------------------------------


def _check_datetime(value: str | None) -> None:
    if value is not None and not _DATETIME.match(value):
        raise InvalidInput(
            ("query", "datetime"), "an RFC 3339 date-time, or an interval start/end with '..'"
        )


def _bbox(settings: Settings, text: str | None, crs: str) -> BBox | None:
    if text is None:
        return None
    numbers = text.split(",")
    if len(numbers) != 4:
        raise InvalidInput(("query", "bbox"), "four numbers: minx,miny,maxx,maxy")
    try:
        minx, miny, maxx, maxy = (float(n) for n in numbers)
    except ValueError:
        raise InvalidInput(("query", "bbox"), "four numbers: minx,miny,maxx,maxy") from None
    if any(v != v or v in (float("inf"), float("-inf")) for v in (minx, miny, maxx, maxy)):
        raise InvalidInput(("query", "bbox"), "four finite numbers")
    if minx > maxx or miny > maxy:
        raise InvalidInput(("query", "bbox"), "inverted: min must not exceed max")
    if crs == EPSG_27700_URI:
        box = bbox_from_british_national_grid((minx, miny, maxx, maxy))
        minx, miny, maxx, maxy = box.minx, box.miny, box.maxx, box.maxy
    try:
        check_lon_lat(minx, miny)
        check_lon_lat(maxx, maxy)
    except ValueError as exc:
        raise InvalidInput(("query", "bbox"), str(exc)) from None
    limit = settings.max_bbox_degrees
    if maxx - minx > limit or maxy - miny > limit:
        raise InvalidInput(("query", "bbox"), f"larger than {limit} degrees across")
    return BBox(minx, miny, maxx, maxy)


@dataclass
class Page:
    """One page of a collection's features, the cursor of the next, and (first page) how many."""

    features: list[dict[str, Any]]
    next_cursor: str | None
    matched: int | None = None


def _asset_page(
    session: Session, bbox: BBox | None, limit: int, cursor: str | None, filters: dict[str, Any]
) -> Page:
    codes = list(dict.fromkeys(filters["theme"] + filters["themes"]))
    unknown = sorted(set(codes) - known_codes(session, codes))
    if unknown:
        name = "theme" if unknown[0] in filters["theme"] else "themes"
        raise InvalidInput(("query", name), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    asset_filters = service.AssetFilters(
        kinds=tuple(filters["kind"]), themes=tuple(codes), bbox=bbox
    )
    page = service.list_assets(
        session, viewer=ANONYMOUS, filters=asset_filters, limit=limit, cursor=cursor
    )
    matched = None
    if cursor is None:
        # Counting costs a scan, so only the first page says how many there are in all.
        matched = service.count_assets(session, viewer=ANONYMOUS, filters=asset_filters)
    return Page([asset_feature(r) for r in page.records], page.next_cursor, matched)


def _area_page(
    session: Session, bbox: BBox | None, limit: int, cursor: str | None, filters: dict[str, Any]
) -> Page:
    level = filters["level"]
    areas = list_areas(session, level=level, bbox=bbox, limit=limit, after=cursor)
    shown = areas[:limit]
    next_cursor = shown[-1].code if len(areas) > limit and shown else None
    matched = count_areas(session, level=level, bbox=bbox) if cursor is None else None
    return Page([area_feature(a) for a in shown], next_cursor, matched)


def _deficit_page(
    session: Session, bbox: BBox | None, limit: int, cursor: str | None, filters: dict[str, Any]
) -> Page:
    theme, status = filters["theme"], filters["status"]
    unknown = sorted(set(theme) - known_codes(session, theme))
    if unknown:
        raise InvalidInput(("query", "theme"), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    try:
        page = deficit_service.list_deficits(
            session,
            viewer=ANONYMOUS,
            theme=theme,
            status=status,
            bbox=bbox,
            limit=limit,
            cursor=cursor,
        )
    except ValueError:
        raise InvalidInput(("query", "cursor"), "not a cursor of this collection") from None
    return Page([deficit_feature(r) for r in page.records], page.next_cursor)


def _gap_page(
    session: Session, bbox: BBox | None, limit: int, cursor: str | None, filters: dict[str, Any]
) -> Page:
    if not filters["indicator"] or len(filters["theme"]) != 1:
        raise InvalidInput(
            ("query", "indicator" if not filters["indicator"] else "theme"),
            "the gaps collection answers one analysis: give `indicator` and one `theme` "
            "(see /api/v1/indicators and /api/v1/themes)",
        )
    params = GapParameters(
        filters["indicator"],
        filters["theme"][0],
        filters["level"] or "lsoa",
        filters["distance_m"],
        filters["high_need_percentile"],
        filters["min_assets"],
    )
    rows = planner_gaps(session, params, with_geometry=True)["items"]
    if filters["category"]:
        rows = [r for r in rows if r["category"] in filters["category"]]
    if bbox is not None:
        box = shapely_box(bbox.minx, bbox.miny, bbox.maxx, bbox.maxy)
        rows = [r for r in rows if r.get("geometry") is not None and r["geometry"].intersects(box)]
    start = int(cursor) if cursor and cursor.isascii() and cursor.isdigit() else 0
    if cursor and not (cursor.isascii() and cursor.isdigit()):
        raise InvalidInput(("query", "cursor"), "not a cursor of this collection")
    shown = rows[start : start + limit]
    features = [
        {
            "type": "Feature",
            "id": row["area_code"],
            "geometry": geojson(row.get("geometry")),
            "properties": {name: row.get(name) for name in GAP_PROPERTIES},
        }
        for row in shown
    ]
    more = start + limit < len(rows)
    return Page(features, str(start + limit) if more else None, len(rows) if start == 0 else None)


PAGES: dict[str, Callable[..., Page]] = {
    "assets": _asset_page,
    "areas": _area_page,
    "deficits": _deficit_page,
    "gaps": _gap_page,
}


@english.get(
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
    bbox: Annotated[
        str | None,
        Query(max_length=200, description="minx,miny,maxx,maxy (in `bbox-crs`, default CRS84)"),
    ] = None,
    bbox_crs: Annotated[
        str | None,
        Query(alias="bbox-crs", description=f"the CRS of `bbox`: {CRS84} or {EPSG_27700_URI}"),
    ] = None,
    crs: Crs = None,
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
    kind: Annotated[list[Kind], Query(description="assets: kind; repeat for any of several")] = [],  # noqa: B006
    theme: Annotated[
        list[Annotated[str, Query(max_length=40)]],
        Query(description="assets, deficits: theme code; repeat for any of several"),
    ] = [],  # noqa: B006
    themes: Annotated[
        list[Annotated[str, Query(max_length=40)]],
        Query(
            description="assets: the same as `theme`, named after the `themes` property as OGC "
            "clients (GDAL) expect: `themes=food` finds assets with food among their themes"
        ),
    ] = [],  # noqa: B006
    level: Annotated[
        Level | None, Query(description="areas: only this level; gaps: the level analysed")
    ] = None,
    indicator: Annotated[
        str | None, Query(max_length=60, description="gaps: the need indicator (required)")
    ] = None,
    distance_m: Annotated[
        float, Query(gt=0, le=10_000, description="gaps: metres from an area's centre")
    ] = 800,
    high_need_percentile: Annotated[
        float, Query(ge=0, le=100, description="gaps: need percentile from which need is high")
    ] = 80,
    min_assets: Annotated[
        int, Query(ge=1, le=1000, description="gaps: assets within the distance that count")
    ] = 1,
    category: Annotated[
        list[Literal[GAP_CATEGORIES]],  # type: ignore[valid-type]
        Query(description="gaps: only these categories"),
    ] = [],  # noqa: B006
    status: Annotated[list[DeficitStatus], Query(description="deficits: open or addressed")] = [],  # noqa: B006
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            max_length=100,
            description="accepted for OGC clients; the collections have no temporal extent, "
            "so it does not narrow the result",
        ),
    ] = None,
    f: Encoding = None,
) -> Response:
    """A collection's features as a GeoJSON FeatureCollection, a page at a time (`next`)."""
    info = _collection_info(collection_id)
    _check_datetime(datetime_)
    out_crs = _crs(crs)
    box = _bbox(settings, bbox, _crs(bbox_crs, "bbox-crs"))
    page_size = min(limit, MAX_LIMIT)
    filters = {
        "kind": kind,
        "theme": theme,
        "themes": themes,
        "level": level,
        "status": status,
        "indicator": indicator,
        "distance_m": distance_m,
        "high_need_percentile": high_need_percentile,
        "min_assets": min_assets,
        "category": category,
    }
    page = PAGES[info.id](session, box, page_size, cursor, filters)
    if wants_html(request):
        return items_page(
            request,
            info.id,
            page.features,
            matched=page.matched,
            next_cursor=page.next_cursor,
            page_size=page_size,
            cursor=cursor,
        )
    links = [
        link(public_url(request, settings), "self", GEOJSON, "This page"),
        link(_url(request, settings, f"/collections/{info.id}"), "collection", JSON),
    ]
    if page.next_cursor:
        url = page_url(request, settings, cursor=page.next_cursor, limit=page_size)
        links.append(link(url, "next", GEOJSON, "Next page"))
    body = feature_collection(
        [_in_crs(feature, out_crs) for feature in page.features],
        numberReturned=len(page.features),
        timeStamp=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        links=links,
    )
    if page.matched is not None:
        body["numberMatched"] = page.matched
    return GeoJSONBody(body, headers=_crs_headers(out_crs))


def _feature(session: Session, collection_id: str, feature_id: str) -> dict[str, Any]:
    missing = NotFound(f"no feature {feature_id!r} in {collection_id}")
    if collection_id == "gaps":
        raise NotFound(
            f"no feature {feature_id!r} in gaps: its features are areas of one analysis; ask "
            f"{PREFIX}/collections/gaps/items with indicator and theme"
        )
    if collection_id == "areas":
        try:
            return area_feature(get_area(session, feature_id))
        except NotFound:
            raise missing from None
    if not feature_id.isascii() or not feature_id.isdigit() or not 0 < int(feature_id) <= MAX_ID:
        raise missing
    try:
        if collection_id == "assets":
            return asset_feature(
                service.get_asset(session, viewer=ANONYMOUS, asset_id=int(feature_id))
            )
        record = deficit_service.get_deficit(session, viewer=ANONYMOUS, deficit_id=int(feature_id))
        return deficit_feature(record)
    except NotFound:
        raise missing from None


@english.get(
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
    crs: Crs = None,
    f: Encoding = None,
) -> Response:
    """One feature as GeoJSON; 404 when it is unknown or not public."""
    info = _collection_info(collection_id)
    out_crs = _crs(crs)
    feature = _in_crs(_feature(session, info.id, feature_id), out_crs)
    if wants_html(request):
        return ogc_page(
            request,
            "item.html",
            collection_id=info.id,
            feature_id=str(feature.get("id", feature_id)),
            geometry_type=(feature.get("geometry") or {}).get("type"),
            properties=[(k, shown(v)) for k, v in (feature.get("properties") or {}).items()],
        )
    feature["links"] = [
        link(public_url(request, settings), "self", GEOJSON),
        link(_url(request, settings, f"/collections/{info.id}"), "collection", JSON),
    ]
    return GeoJSONBody(feature, headers=_crs_headers(out_crs))


# What the app includes: the OGC API at /ogc, and its pages in Welsh at /cy/ogc.
router = APIRouter()
router.include_router(english)
router.include_router(welsh_twin(english.routes))
