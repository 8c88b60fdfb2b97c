"""The map's point cache, one per app process, follows the one database: a change made through
another replica shows at once, even when that replica's clock is behind."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Asset
from app.services.assets.map_layers import PointCache
from tests.api.conftest import insert_assets

TWO = [{"name_en": "A", "lon": -3.17}, {"name_en": "B", "lon": -3.18}]


def _points(cache: PointCache, session: Session) -> int:
    lon, _ = cache.arrays(session, (), ())
    session.rollback()  # each request has its own transaction
    return int(lon.size)


def test_two_processes_caches_both_see_a_change_made_through_either(session: Session) -> None:
    one, two = PointCache(), PointCache()
    first, _ = insert_assets(session, TWO)
    session.commit()
    assert _points(one, session) == _points(two, session) == 2

    session.execute(update(Asset).where(Asset.id == first).values(status="archived", version=2))
    session.commit()

    assert _points(one, session) == _points(two, session) == 1


def test_a_change_stamped_by_a_clock_that_is_behind_still_shows(session: Session) -> None:
    cache = PointCache()
    first, second = insert_assets(session, TWO)
    session.commit()
    newest = session.scalar(select(Asset.updated_at).where(Asset.id == second))
    assert _points(cache, session) == 2

    # Another replica, its clock a minute behind, archives the first asset.
    behind = newest - timedelta(minutes=1)  # type: ignore[operator]
    session.execute(
        update(Asset)
        .where(Asset.id == first)
        .values(status="archived", updated_at=behind, version=Asset.version + 1)
    )
    session.commit()

    assert _points(cache, session) == 1
