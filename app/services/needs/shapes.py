"""Areas' boundaries as shapely geometries, read once per process and per state of the areas.

The planner draws every area of a level and the gap analysis may return their outlines: reading
hundreds of boundaries from the database for each request cost more than the rest of the page
(SpatiaLite's AsEWKB alone is about 0.2 ms an area). Boundaries change only when areas are
imported, replaced or removed, so each process keeps the ones it has read, and asks the database
for the areas' state (count, last id, last import: one aggregate over the table) on every call.
A change made through any replica is therefore seen by the next request of every process, and a
rolled-back import, which puts the state back, empties the cache again.
"""

import threading
from collections.abc import Iterable
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Area
from app.spatial.geometry import geometry_from_db

# Ids per query when reading the boundaries not yet held (under every driver's parameter limit).
CHUNK = 500


def areas_state(session: Session) -> tuple[Any, ...]:
    """What changes whenever areas are imported, replaced or removed (and the database)."""
    count, last_id, last_import = session.execute(
        select(func.count(Area.id), func.max(Area.id), func.max(Area.imported_at))
    ).one()
    return (str(session.get_bind().engine.url), count, last_id, str(last_import))


class _Boundaries:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._shapes: dict[int, BaseGeometry] = {}

    def get(
        self, session: Session, ids: Iterable[int], key: tuple[Any, ...] | None
    ) -> dict[int, BaseGeometry]:
        wanted = list(dict.fromkeys(ids))
        key = key or areas_state(session)
        with self._lock:
            if key != self._key:
                self._key, self._shapes = key, {}
            held = dict(self._shapes)
        missing = [i for i in wanted if i not in held]
        for start in range(0, len(missing), CHUNK):
            rows = session.execute(
                select(Area.id, Area.geom).where(Area.id.in_(missing[start : start + CHUNK]))
            )
            held.update((area_id, geometry_from_db(geom)) for area_id, geom in rows)
        if missing:
            with self._lock:
                if key == self._key:
                    self._shapes.update((i, held[i]) for i in missing if i in held)
        return {i: held[i] for i in wanted if i in held}


_BOUNDARIES = _Boundaries()


def area_shapes(
    session: Session, ids: Iterable[int], *, state: tuple[Any, ...] | None = None
) -> dict[int, BaseGeometry]:
    """The boundaries of the areas with these ids (ids that do not exist are left out).
    `state`: the areas_state() the caller already read in this transaction, to ask only once."""
    return _BOUNDARIES.get(session, ids, state)
