"""People counts cost a fixed number of statements per request, not one per occupied square,
and publish exactly what the per-square way published (both databases).

`old_people_counts` below is the previous implementation, kept as the reference: each square's
area was found by its own query (app.services.needs.areas.areas_covering).
"""

import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import PERSON_KINDS, Area, Asset, AssetTheme, PublicLocation
from app.models.base import utcnow
from app.schemas.assets import AssetCreate
from app.services.assets import records as asset_service
from app.services.needs.areas import AreaInput, areas_covering, save_areas
from app.services.people import disclosure
from app.services.people.disclosure import METHOD, PeopleCount, people_counts, publish
from app.services.people.grid import public_square
from app.settings import Settings
from tests.conftest import person_body

THEMES = ["food", "older_people", "transport"]
WEST, SOUTH, SIZE = -3.26, 51.44, 0.03


def old_people_counts(
    session: Session, *, themes: tuple[str, ...] = (), area_codes: tuple[str, ...] = ()
) -> tuple[str | None, list[PeopleCount]]:
    """The published counts as the per-square implementation made them."""
    level = disclosure.people_level(session)
    if level is None:
        return None, []
    stmt = select(Area.id, Area.code, Area.name_en, Area.name_cy).where(Area.level == level)
    if area_codes:
        stmt = stmt.where(Area.code.in_(area_codes))
    areas = list(session.execute(stmt.order_by(Area.code)))
    theme_codes = disclosure._theme_codes(session, themes)
    rows = session.execute(
        select(PublicLocation.location, PublicLocation.record_key, AssetTheme.theme_code)
        .join(Asset, PublicLocation.asset_id == Asset.id)
        .join(AssetTheme, AssetTheme.asset_id == Asset.id)
        .where(
            Asset.kind.in_(PERSON_KINDS),
            Asset.status == "published",
            Asset.consent_expires_at > utcnow(),
            AssetTheme.theme_code.in_(theme_codes),
        )
    )
    from app.spatial.geometry import geometry_from_db

    tallies: dict[tuple[int, str], list[int]] = {}
    area_of_square: dict[tuple[float, float], int | None] = {}
    for location, key, theme in rows:
        point = geometry_from_db(location)
        square = (point.x, point.y)
        if square not in area_of_square:
            area_of_square[square] = areas_covering(session, *square).get(level)
        area_id = area_of_square[square]
        if area_id is not None:
            tally = tallies.setdefault((area_id, theme), [0, 0])
            tally[0] += 1
            tally[1] += key
    return level, [
        PeopleCount(a.code, a.name_en, a.name_cy, theme, publish(*tally))
        for a in areas
        for theme in theme_codes
        for tally in [tallies.get((a.id, theme), [0, 0])]
    ]


def as_json(level: str | None, rows: list[PeopleCount]) -> dict[str, Any]:
    """What /api/v1/people/counts answers for these rows."""
    items = [
        {"area_code": r.area_code, "area_name": r.area_name_en or r.area_name_cy,
         "area_name_cy": r.area_name_cy, "theme": r.theme, "people": r.people,
         "shown_as": r.shown_as}
        for r in rows
    ]  # fmt: skip
    return {"level": level, "method": METHOD, "items": items}


def seed(session: Session, people: int, *, rng: random.Random) -> None:
    """A 3 x 2 grid of LSOAs whose middle column's edges run through people's squares'
    centres (so that shared edges decide), and `people` people in and around them."""
    points = [
        (WEST + rng.random() * SIZE * 3.3 - 0.003, SOUTH + rng.random() * SIZE * 2)
        for _ in range(people)
    ]
    # Put an edge through two people's public square centres.
    first, second = public_square(*points[0]), public_square(*points[1])
    xs = [WEST, first.lon, first.lon + SIZE, WEST + SIZE * 3]
    ys = [SOUTH, second.lat, SOUTH + SIZE * 2]
    areas = []
    for i in range(3):
        for j in range(2):
            # Codes in an order that is not left to right, so the lowest code is not the first.
            code = f"X0100{(i * 7 + j * 3) % 10}{i}{j}"
            geom = MultiPolygon([box(xs[i], ys[j], xs[i + 1], ys[j + 1])])
            areas.append(AreaInput(len(areas) + 1, code, f"Area {code}", None, 1500, None, geom))
    save_areas(session, level="lsoa", areas=areas, centroids={}, source="test")
    session.commit()
    for n, (lon, lat) in enumerate(points):
        themes = rng.sample(THEMES, rng.randint(1, 2))
        body = person_body(
            name_en=f"Person {n}", themes=themes,
            location={"type": "Point", "coordinates": [lon, lat]},
        )  # fmt: skip
        asset_service.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.commit()


@pytest.fixture
def app_engine(settings: Settings) -> Iterator[tuple[TestClient, Engine]]:
    """A client, and the engine its app runs its statements on (no response cache: what is
    counted is what the route itself runs)."""
    app = create_app(settings.model_copy(update={"response_cache_mb": 0}))
    with TestClient(app) as client:
        yield client, app.state.engine


def statements_for(engine: Engine, call: Any) -> tuple[Any, int]:
    """What `call()` returns, and how many SQL statements it ran on `engine`."""
    ran: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        ran.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return result, len(ran)


def test_the_counts_are_those_the_per_square_way_published(
    session: Session, app_engine: tuple[TestClient, Engine]
) -> None:
    client, _ = app_engine
    seed(session, 150, rng=random.Random(16))
    assert len({(r.location) for r in session.scalars(select(PublicLocation))}) > 20
    level, old = old_people_counts(session)
    assert any(r.people is not None for r in old)  # some counts are shown, not all suppressed
    assert people_counts(session) == (level, old)
    assert client.get("/api/v1/people/counts").json() == as_json(level, old)
    # The middle column (edges through squares' centres), beside a neighbour, the east end.
    for codes in (("X0100710",), ("X0100710", "X0100011"), ("X0100420",)):
        for themes in ((), ("food",), ("transport", "older_people")):
            expected = old_people_counts(session, themes=themes, area_codes=codes)
            assert expected[1], codes
            assert people_counts(session, themes=themes, area_codes=codes) == expected
            query = {"area": list(codes), "theme": list(themes)}
            answer = client.get("/api/v1/people/counts", params=query)
            assert answer.json() == as_json(*expected)


def test_a_request_runs_as_many_statements_for_many_people_as_for_few(
    session: Session, app_engine: tuple[TestClient, Engine]
) -> None:
    client, engine = app_engine
    rng = random.Random(3)
    seed(session, 5, rng=rng)

    def count() -> Any:
        return client.get("/api/v1/people/counts")

    count()  # the first request also opens the connection
    few_answer, few = statements_for(engine, count)
    squares_before = len(list(session.scalars(select(PublicLocation.cell).distinct())))
    for n in range(120):
        lon, lat = WEST + rng.random() * SIZE * 3, SOUTH + rng.random() * SIZE * 2
        body = person_body(
            name_en=f"More {n}", location={"type": "Point", "coordinates": [lon, lat]}
        )
        asset_service.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.commit()
    squares_after = len(list(session.scalars(select(PublicLocation.cell).distinct())))
    assert squares_after > squares_before + 20
    many_answer, many = statements_for(engine, count)
    assert few_answer.status_code == many_answer.status_code == 200
    assert many == few, f"{few} statements for {squares_before} squares, {many} for {squares_after}"
    here = {"near": f"{WEST + 0.01},{SOUTH + 0.01}"}
    near, near_statements = statements_for(
        engine, lambda: client.get("/api/v1/people/near", params=here)
    )
    assert near.status_code == 200 and near_statements <= many + 3
