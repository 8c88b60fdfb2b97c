"""Vector tiles of areas and public assets, for maps of all of Wales (app/services/tiles.py)."""

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from app.errors import error_responses
from app.http.access import PUBLIC
from app.http.deps import SessionDep
from app.services import tiles as service

router = APIRouter(prefix="/tiles", tags=["map"])

# Browsers may reuse a tile for a minute, then ask again with its ETag (a 304 while unchanged).
CACHE_CONTROL = "public, max-age=60"


class TileLayer(StrEnum):
    """The layers tiles are made of."""

    areas = "areas"
    assets = "assets"


def _matches(header: str | None, etag: str) -> bool:
    """Whether If-None-Match names this ETag (or is `*`); a weak form of it matches too."""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={
        200: {
            "description": "A Mapbox Vector Tile (empty when nothing is in the tile)",
            "content": {service.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "Not modified: the tile named by If-None-Match is still current"},
        **error_responses(404),
    },
    summary="A vector tile of areas or assets",
    dependencies=[Depends(PUBLIC)],
)
def vector_tile(
    request: Request,
    session: SessionDep,
    layer: TileLayer,
    z: Annotated[int, Path(description="zoom, 0 to 22")],
    x: Annotated[int, Path(description="column, 0 (west) to 2^z - 1")],
    y: Annotated[int, Path(description="row, 0 (north) to 2^z - 1")],
    level: Annotated[
        str | None,
        Query(max_length=40, description="areas only: one level (lsoa, msoa, ward, ...)"),
    ] = None,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    """One Web Mercator tile (z/x/y as OpenStreetMap numbers them) of a layer, as a Mapbox
    Vector Tile with one layer of that name.

    `areas`: each area's outline with `code`, `level`, `name_en`, `name_cy` (narrowed to one
    `level` when given). `assets`: published assets of public kinds only (never people): from
    zoom 13, when the tile holds at most 2,000, each asset (`id`, `name_en`, `name_cy`, `kind`);
    else clusters (`count` at the mean point of a cell's assets). Tiles carry a strong ETag:
    send it back as If-None-Match for a 304 while the data has not changed.
    """
    tile = service.tile_at(z, x, y)
    level = service.check_level(level) if layer is TileLayer.areas else None
    asked = service.TileRequest(layer.value, tile, level)
    etag, state = service.tile_etag(session, asked)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    body = service.tile_bytes(
        session,
        asked,
        etag=etag,
        state=state,
        points=request.app.state.map_points,
        cache=request.app.state.tiles,
    )
    return Response(body, media_type=service.MEDIA_TYPE, headers=headers)
