"""Fixtures for the HTTP API tests: a real server for clients that need a URL (GDAL)."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from shapely.geometry import MultiPolygon, box
from sqlalchemy import insert
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from app.main import create_app
from app.models import Asset, AssetTheme
from app.models.base import utcnow
from app.schemas.deficits import DeficitCreate
from app.services.assets.theme_points import theme_point
from app.services.needs import deficits as deficit_service
from app.services.needs.areas import AreaInput, save_areas
from app.settings import Settings
from app.spatial.geometry import geometry_from_db, point_element


def _row(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    values = dict(values)
    lon, lat = values.pop("lon", -3.17), values.pop("lat", 51.48)
    themes = values.pop("themes", [])
    row: dict[str, Any] = {
        "kind": "group",
        "status": "published",
        "search_text": "",
        "opening_hours": [],
        "accessibility": [],
        "languages": [],
        "version": 1,
        "created_at": utcnow(),
        "updated_at": utcnow(),
        **values,
        "location": point_element(lon, lat),
    }
    return row, themes


def _theme_point(row: dict[str, Any]) -> dict[str, Any]:
    point = geometry_from_db(row["location"])
    return theme_point(row["kind"], row["status"], point.x, point.y)


def insert_assets(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Add assets straight into the tables (bypassing the API and its validation); their ids.

    Tests use it for what the API refuses to create (person-linked kinds) and for bulk data
    (multi-row INSERTs: 2,500 assets in well under a second). Not committed.
    """
    prepared = [_row(values) for values in rows]
    ids = list(
        session.scalars(
            insert(Asset).returning(Asset.id, sort_by_parameter_order=True),
            [row for row, _ in prepared],
        )
    )
    # Theme links carry the asset's point and public flag (app/services/assets/theme_points.py).
    links = [
        {"asset_id": asset_id, "theme_code": code, **_theme_point(row)}
        for asset_id, (row, themes) in zip(ids, prepared, strict=True)
        for code in themes
    ]
    if links:
        session.execute(insert(AssetTheme), links)
    return ids


@pytest.fixture
def make_person_linked_asset(session: Session) -> Any:
    """Insert a published person-linked asset (kind `skill`), which the API refuses; its id."""

    def make(**values: Any) -> int:
        names = {"name_en": "Gwen's sewing skills", "name_cy": "Sgiliau gwnïo Gwen"}
        (asset_id,) = insert_assets(session, [{"kind": "skill", **names, **values}])
        session.commit()
        return asset_id

    return make


@dataclass
class LiveServer:
    """A running server: its base URL and every request it has answered (path, query)."""

    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)

    def requests_to(self, path: str) -> list[str]:
        """The query strings of the requests made so far to this exact path."""
        return [query for p, query in self.requests if p == path]


class _RequestLog:
    """ASGI wrapper that records each HTTP request's path and query string."""

    def __init__(self, app: ASGIApp, log: list[tuple[str, str]]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.log.append((scope["path"], scope["query_string"].decode("latin-1")))
        await self.app(scope, receive, send)


@contextmanager
def serve(settings: Settings) -> Iterator[LiveServer]:
    """uvicorn serving create_app(settings) on 127.0.0.1 (a free port) in a thread, until exit."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on such sockets, and without it
    # Nagle + delayed ACKs add ~40 ms to every response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    live = LiveServer(url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    config = uvicorn.Config(
        _RequestLog(create_app(settings), live.requests),
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the live server did not start")
            time.sleep(0.01)
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """A real server on the test database (both backends), shut down after the test."""
    with serve(settings) as live:
        yield live


OGC_SPLOTT = (-3.1566, 51.4812)


@pytest.fixture
def ogc_world(session: Session, make_asset: Any) -> dict[str, Any]:
    """For the OGC collections: three LSOAs and an MSOA with population, two deficits (a point,
    an area) and an asset."""
    squares = [
        ("W01001700", "lsoa", "Cardiff 032A", "Caerdydd 032A", 1520, (-3.17, 51.47)),
        ("W01001701", "lsoa", "Cardiff 032B", None, 1610, (-3.16, 51.47)),
        ("W01001702", "lsoa", "Cardiff 033A", None, 1490, (-3.15, 51.47)),
        ("W02000391", "msoa", "Cardiff 032", "Caerdydd 032", 7890, (-3.17, 51.47)),
    ]
    for n, (code, level, name_en, name_cy, population, (lon, lat)) in enumerate(squares):
        size = 0.03 if level == "msoa" else 0.01
        geom = MultiPolygon([box(lon, lat, lon + size, lat + size)])
        item = AreaInput(n + 1, code, name_en, name_cy, population, None, geom)
        save_areas(session, level=level, areas=[item], centroids={}, source="test")
    point = deficit_service.create_deficit(
        session,
        actor="t",
        data=DeficitCreate.model_validate(
            {
                "theme": "transport",
                "title_en": "No bus after 7pm",
                "severity": 3,
                "reporter": "Gwen Jones",
                "reported_on": "2025-03-01",
                "location": {"type": "Point", "coordinates": list(OGC_SPLOTT)},
            }
        ),
    )
    area = deficit_service.create_deficit(
        session,
        actor="t",
        data=DeficitCreate.model_validate(
            {
                "theme": "food",
                "title_en": "No food bank",
                "severity": 4,
                "status": "addressed",
                "reported_on": "2025-04-01",
                "area": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-3.18, 51.46], [-3.14, 51.46], [-3.14, 51.49], [-3.18, 51.46]]
                    ],
                },
            }
        ),
    )
    session.commit()
    asset = make_asset(location={"type": "Point", "coordinates": list(OGC_SPLOTT)})
    return {"point": point.id, "area": area.id, "asset": asset}
