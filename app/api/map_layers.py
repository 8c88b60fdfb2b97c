"""Map layers loaded by viewport: assets as clusters or points for a bbox and zoom (JSON), the
area outlines that give every map its context, and downloads of a view (GeoJSON, CSV)."""

from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.errors import InvalidInput, error_responses
from app.formats import csv, geojson
from app.http.access import PUBLIC
from app.http.deps import SessionDep, SettingsDep, get_bbox
from app.http.responses import GeoJSONBody
from app.maps.context import context_collection
from app.schemas.assets import THEME_CODE, AssetFeature
from app.services.assets import map_layers as service
from app.services.assets.themes import known_codes
from app.services.needs.context import context_areas
from app.spatial import BBox
from app.vocabularies import PUBLIC_KINDS

router = APIRouter(prefix="/api/v1/map", tags=["map"])

# Kinds a map shows: people (skill, volunteer) are on no map.
MapKind = Literal[PUBLIC_KINDS]  # type: ignore[valid-type]
MAX_ZOOM = 22


class PointGeometry(BaseModel):
    """A GeoJSON Point (lon, lat in WGS84)."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2)


class ClusterProperties(BaseModel):
    """How many assets a cluster stands for (drawn at their mean point)."""

    count: int = Field(ge=1)


class PointProperties(BaseModel):
    """One asset: its id, names (either may be null) and kind."""

    id: int
    name_en: str | None
    name_cy: str | None
    kind: MapKind


class ClusterFeature(BaseModel):
    """A grid cell's assets, counted."""

    type: Literal["Feature"]
    geometry: PointGeometry
    properties: ClusterProperties


class PointFeature(BaseModel):
    """One asset."""

    type: Literal["Feature"]
    id: int
    geometry: PointGeometry
    properties: PointProperties


class MapAssets(BaseModel):
    """The assets in a view: all clusters or all points (`mode`)."""

    type: Literal["FeatureCollection"]
    mode: Literal["clusters", "points"]
    zoom: int
    features: list[ClusterFeature | PointFeature]
    numberReturned: int
    total: int = Field(description="How many assets the features stand for")
    truncated: bool = Field(description="True when clusters were left out (over the cap)")


class ViewDownload(BaseModel):
    """A download of a view as GeoJSON: the API's asset features, all of them, unpaged."""

    type: Literal["FeatureCollection"]
    features: list[AssetFeature]


class DownloadFormat(StrEnum):
    """Formats of a download."""

    geojson = "geojson"
    csv = "csv"


def _view(
    settings: SettingsDep,
    session: SessionDep,
    bbox: Annotated[
        str,
        Query(
            description="the view: minlon,minlat,maxlon,maxlat (WGS84)",
            pattern=r"^[^,]+,[^,]+,[^,]+,[^,]+$",
            max_length=200,
        ),
    ],
    kind: Annotated[list[MapKind], Query(description="ABCD kind; repeat for any of several")] = [],  # noqa: B006
    theme: Annotated[
        list[Annotated[str, Query(max_length=40, pattern=THEME_CODE)]],
        Query(description="theme code; repeat for any of several"),
    ] = [],  # noqa: B006
) -> service.MapView:
    box: BBox | None = get_bbox(settings, bbox)
    assert box is not None  # bbox is required
    unknown = sorted(set(theme) - known_codes(session, theme))
    if unknown:
        raise InvalidInput(("query", "theme"), f"unknown theme {unknown[0]!r}; see /api/v1/themes")
    return service.MapView(bbox=box, kinds=tuple(kind), themes=tuple(theme))


ViewDep = Annotated[service.MapView, Depends(_view)]


@router.get(
    "/assets",
    response_model=MapAssets,
    responses={
        200: {
            "content": {
                "application/geo+json": {
                    "schema": MapAssets.model_json_schema(
                        ref_template="#/components/schemas/{model}"
                    )
                }
            }
        }
    },
    summary="Assets in a map view",
    dependencies=[Depends(PUBLIC)],
)
def map_assets(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    zoom: Annotated[int, Query(ge=0, le=MAX_ZOOM, description="the map's zoom level")],
) -> Any:
    """The published assets in the view (never people), for a map that loads by viewport.

    Clusters (`mode: clusters`, each `{count}` at the mean point of its assets, in grid cells
    sized by `zoom`) below zoom 13 or when the view holds over 300 assets; else the assets
    themselves (`mode: points`, `{id, name_en, name_cy, kind}`). At most 2,000 features.
    """
    points = request.app.state.map_points
    body = service.assets_in_view(session, view=replace(view, zoom=zoom), points=points)
    return GeoJSONBody(body, headers={"Cache-Control": "public, max-age=60"})


class ContextProperties(BaseModel):
    """An area drawn for orientation: its names, level, and whether and where its name is
    shown (`labelAt`: latitude, longitude, inside the area)."""

    name_en: str | None
    name_cy: str | None
    level: str
    label: bool
    labelAt: list[float] = Field(min_length=2, max_length=2)


class ContextFeature(BaseModel):
    """An area's simplified outline (Polygon or MultiPolygon)."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: ContextProperties


class MapContext(BaseModel):
    """The areas drawn under a map view for orientation."""

    type: Literal["FeatureCollection"]
    features: list[ContextFeature]


@router.get(
    "/context",
    response_model=MapContext,
    responses={
        200: {
            "content": {
                "application/geo+json": {
                    "schema": MapContext.model_json_schema(
                        ref_template="#/components/schemas/{model}"
                    )
                }
            }
        }
    },
    summary="Area outlines for a map view",
    dependencies=[Depends(PUBLIC)],
)
def map_context(
    settings: SettingsDep,
    session: SessionDep,
    bbox: Annotated[
        str,
        Query(
            description="the view: minlon,minlat,maxlon,maxlat (WGS84)",
            pattern=r"^[^,]+,[^,]+,[^,]+,[^,]+$",
            max_length=200,
        ),
    ],
    zoom: Annotated[int, Query(ge=0, le=MAX_ZOOM, description="the map's zoom level")],
) -> Any:
    """The local-authority and area outlines a map view draws for orientation, simplified,
    with the names to show: local authorities always, wards or MSOAs from zoom 11, LSOAs from
    zoom 14 (a level with over 300 areas in view is left out)."""
    box = get_bbox(settings, bbox)
    assert box is not None  # bbox is required
    view = context_areas(session, bbox=box, zoom=zoom)
    body = context_collection(view.areas, labelled_level=view.labelled_level)
    return GeoJSONBody(body, headers={"Cache-Control": "public, max-age=300"})


DOWNLOAD_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The view's assets as a file",
        "content": {
            "application/geo+json": {
                "schema": ViewDownload.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.get(
    "/download",
    response_class=StreamingResponse,
    responses={**DOWNLOAD_CONTENT, **error_responses()},
    summary="Download the assets in a map view",
    dependencies=[Depends(PUBLIC)],
)
def download_view(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    f: Annotated[DownloadFormat, Query(description="geojson (default) or csv")] = (
        DownloadFormat.geojson
    ),
) -> StreamingResponse:
    """Every published asset in the view (never people) as a GeoJSON or CSV attachment.

    At most 50,000 assets: a larger view is refused (422 on `bbox`): zoom in, or use the
    paged /api/v1/assets.
    """
    filters = service.download_filters(session, view=view)
    factory = request.app.state.session_factory

    def chunks() -> Iterator[bytes]:
        # The request's session closes when the route returns; the stream reads with its own.
        with factory() as own:
            if f is DownloadFormat.csv:
                yield from service.csv_chunks(own, filters)
            else:
                yield from service.geojson_chunks(own, filters)

    if f is DownloadFormat.csv:
        media, name = csv.MEDIA_TYPE, "assets-in-view.csv"
    else:
        media, name = geojson.MEDIA_TYPE, "assets-in-view.geojson"
    return StreamingResponse(
        chunks(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
