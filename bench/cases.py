"""The benchmark's queries, each as an HTTP URL list and the same-run floor statement list."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from app.models import Asset
from app.services.assets.records import (
    AssetFilters,
    Near,
    build_list_query,
    encode_cursor,
    page_attempts,
)
from app.services.assets.visibility import ANONYMOUS, visible_assets
from app.spatial import BBox
from sql_floor import feature_collection_statement

SPATIAL_INDEX = "idx_assets_location"


@dataclass
class Case:
    """One query: paths to GET (relative to the server), floor statements, and a body check."""

    name: str
    paths: list[str]
    statements: list[Select[Any]]
    check: Callable[[Any], str | None]
    spatial: bool = False
    notes: list[str] = field(default_factory=list)
    # The in-database floor: one statement building the whole FeatureCollection (sql_floor.py).
    sql_floor: list[Select[Any]] = field(default_factory=list)


def _expect_returned(expected: int) -> Callable[[Any], str | None]:
    def check(body: Any) -> str | None:
        got = body.get("numberReturned")
        return None if got == expected else f"numberReturned {got}, expected {expected}"

    return check


def _expect_nearest_first(body: Any) -> str | None:
    distances = [item["distance_m"] for item in body["items"]]
    if not distances:
        return "near-me returned nothing"
    if distances != sorted(distances) or distances[-1] > 1000:
        return "near-me results not nearest first within 1 km"
    return None


def _expect_after(last_id: int) -> Callable[[Any], str | None]:
    def check(body: Any) -> str | None:
        ids = [item["id"] for item in body["items"]]
        if len(ids) != 50 or ids[0] <= last_id or ids != sorted(ids):
            return f"deep page not the 50 ids after {last_id}"
        return None

    return check


def middle_id(engine: Engine) -> int:
    """The id at 50 % depth of the public by-id listing (a one-off OFFSET query)."""
    with engine.connect() as connection:
        total = connection.scalar(
            select(func.count()).select_from(Asset).where(visible_assets(ANONYMOUS))
        )
        return connection.execute(
            select(Asset.id)
            .where(visible_assets(ANONYMOUS))
            .order_by(Asset.id)
            .offset(int(total or 0) // 2)
            .limit(1)
        ).scalar_one()


def build_cases(
    engine: Engine,
    *,
    bbox: tuple[float, float, float, float],
    bbox_count: int,
    points: list[tuple[float, float]],
    repeats: int,
) -> list[Case]:
    """The four API cases of the issue (bbox, near-me, first page, deep page)."""
    session = Session(engine)

    def stmt(filters: AssetFilters, limit: int, cursor: str | None = None) -> Select[Any]:
        # near-me: the attempt that answers this search (PostGIS: the first, KNN candidates;
        # SpatiaLite: the smallest box its probes find holding the page), as the API runs it.
        attempt = (
            page_attempts(session, viewer=ANONYMOUS, filters=filters, limit=limit, cursor=cursor)[0]
            if filters.near
            else None
        )
        return build_list_query(
            session,
            viewer=ANONYMOUS,
            filters=filters,
            limit=limit,
            cursor=cursor,
            near_attempt=attempt,
        )

    box = ",".join(f"{v:.6f}" for v in bbox)
    bbox_stmt = stmt(AssetFilters(bbox=BBox(*bbox)), 1000)
    near = [(lon, lat) for lon, lat in points[:repeats]]
    last_id = middle_id(engine)
    cursor = encode_cursor([last_id])
    cases = [
        Case(
            "bbox ~1k (limit=1000)",
            [f"/api/v1/assets?bbox={box}&limit=1000"] * repeats,
            [bbox_stmt] * repeats,
            _expect_returned(min(bbox_count, 1000)),
            spatial=True,
        ),
        Case(
            "near 1 km (limit=50)",
            [f"/api/v1/assets?near={lon},{lat}&radius_m=1000&limit=50" for lon, lat in near],
            [stmt(AssetFilters(near=Near(lon, lat, 1000.0)), 50) for lon, lat in near],
            _expect_nearest_first,
            spatial=True,
        ),
        Case(
            "first page (limit=50)",
            ["/api/v1/assets?limit=50"] * repeats,
            [stmt(AssetFilters(), 50)] * repeats,
            _expect_returned(50),
        ),
        Case(
            "page at 50% (limit=50)",
            [f"/api/v1/assets?limit=50&cursor={cursor}"] * repeats,
            [stmt(AssetFilters(), 50, cursor)] * repeats,
            _expect_after(last_id),
            notes=[f"cursor after id {last_id}"],
        ),
    ]
    for case in cases:
        if case.name != "first page (limit=50)":
            case.sql_floor = [feature_collection_statement(engine, s) for s in case.statements]
    session.close()
    return cases


def ogc_items_path(bbox: tuple[float, float, float, float]) -> str:
    """Our OGC API Features items request for the same bbox (GeoJSON)."""
    box = ",".join(f"{v:.6f}" for v in bbox)
    return f"/ogc/collections/assets/items?bbox={box}&limit=1000"
