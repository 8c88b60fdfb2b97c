"""Where the time of one bbox request goes, stage by stage, in-process (no HTTP).

    ASSETMAP_DATABASE_URL=... .venv/bin/python bench/breakdown.py --bbox minx,miny,maxx,maxy

Run it on a database bench/run.py loaded (PostGIS: database `bench` stays after a run). Each
line adds one stage of the request path to the one before, so differences are stage costs.
"""

import argparse
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.orm import Session

from app.db import make_engine
from app.schemas.assets import asset_json
from app.services.assets.records import AssetFilters, build_list_query, list_assets
from app.services.assets.visibility import ANONYMOUS
from app.settings import get_settings
from app.spatial import BBox

from measure import fetch_and_dump, interleaved


def _ignoring_index(operation: Callable[[], object]) -> Callable[[int], object]:
    return lambda _i: operation()


def main() -> None:
    """Print p50/p95 of each cumulative stage of the bbox request."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--bbox", required=True, help="minlon,minlat,maxlon,maxlat")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    engine = make_engine(get_settings())
    filters = AssetFilters(bbox=BBox(*(float(v) for v in args.bbox.split(","))))

    def statement() -> Any:
        with Session(engine) as session:
            return build_list_query(
                session, viewer=ANONYMOUS, filters=filters, limit=args.limit, cursor=None
            )

    stmt = statement()
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))

    def driver_rows() -> object:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql).fetchall()

    def service() -> list[dict[str, Any]]:
        with Session(engine) as session:
            return list_assets(session, viewer=ANONYMOUS, filters=filters, limit=args.limit).records

    def rendered() -> bytes:
        items = [asset_json(r) for r in service()]
        return orjson.dumps({"items": items, "numberReturned": len(items), "next": None})

    stages: list[tuple[str, Callable[[], object]]] = [
        ("driver: compiled SQL, rows as tuples", driver_rows),
        ("floor: SQLAlchemy rows + dicts + orjson", lambda: fetch_and_dump(engine, stmt)),
        ("service: list_assets (+ themes query)", service),
        ("+ asset_json per record + orjson", rendered),
    ]
    print(f"{engine.dialect.name}, bbox {args.bbox}, limit {args.limit}, {len(service())} rows")
    # Stages take turns, so load from elsewhere on the machine hits them all alike.
    lanes = {name: _ignoring_index(operation) for name, operation in stages}
    timings = interleaved(lanes, args.repeats, warmup=5)
    for name, t in timings.items():
        print(f"  {name:<44} p50 {t.p50:8.2f} ms  p95 {t.p95:8.2f} ms")


if __name__ == "__main__":
    main()
