"""Each theme link carries a copy of its asset's point and public flag (asset_themes.lon, lat,
public), which gap analysis counts from. Every write path must keep the copies in step with the
assets table: the service layer, bulk imports, the API, moderation and lapsing consent."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, case, insert, select, text, update
from sqlalchemy.orm import Session

from app.migrate import upgrade
from app.models import Asset, AssetArea, AssetTheme, Theme
from app.schemas.assets import AssetCreate, AssetUpdate
from app.services.assets import records as asset_service
from app.services.assets.visibility import ANONYMOUS, SYSTEM, visible_assets
from app.services.imports import writes as import_writes
from app.services.imports.assets import ImportOptions, import_assets
from app.services.needs.analysis import counts_in_areas, counts_within
from app.services.people.consents import expire_consents
from app.spatial import backend_for, spatialite
from app.spatial.geometry import point_element
from tests.cli.conftest import good_row, write_csv
from tests.conftest import (
    ADMIN,
    Patches,
    asset_body,
    person_body,
)

Link = tuple[int, str, float, float, bool]


def stored_links(session: Session) -> list[Link]:
    """(asset id, theme, lon, lat, public) of every theme link, as stored."""
    session.expire_all()
    rows = session.execute(
        select(
            AssetTheme.asset_id,
            AssetTheme.theme_code,
            AssetTheme.lon,
            AssetTheme.lat,
            AssetTheme.public,
        ).order_by(AssetTheme.asset_id, AssetTheme.theme_code)
    )
    return [(a, t, lon, lat, bool(public)) for a, t, lon, lat, public in rows]


def expected_links(session: Session) -> list[Link]:
    """The same, computed from the assets table: its point, and whether anybody may see it."""
    backend = backend_for(session.get_bind().dialect.name)
    public = case((visible_assets(ANONYMOUS), True), else_=False)
    rows = session.execute(
        select(
            AssetTheme.asset_id,
            AssetTheme.theme_code,
            backend.x(Asset.location),
            backend.y(Asset.location),
            public,
        )
        .join(Asset, Asset.id == AssetTheme.asset_id)
        .order_by(AssetTheme.asset_id, AssetTheme.theme_code)
    )
    return [(a, t, lon, lat, bool(p)) for a, t, lon, lat, p in rows]


def assert_in_step(session: Session) -> list[Link]:
    """Fail unless every copy matches its asset; the links, for further checks."""
    links = stored_links(session)
    assert links, "no theme links: nothing was checked"
    assert links == expected_links(session)
    return links


def links_of(session: Session, asset_id: int) -> list[Link]:
    """The stored links of one asset."""
    return [link for link in assert_in_step(session) if link[0] == asset_id]


def change(session: Session, asset_id: int, **changes: Any) -> None:
    """Change an asset through the service layer, as an admin, and commit."""
    asset_service.update_asset(
        session,
        viewer=SYSTEM,
        asset_id=asset_id,
        expected_version=None,
        data=AssetUpdate.model_validate(changes),
    )
    session.commit()


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def test_a_new_asset_copies_its_point_and_public_flag_to_each_theme(
    session: Session, make_asset: Any
) -> None:
    published = make_asset(themes=["food", "housing"], location=_point(-3.2, 51.5))
    pending = make_asset(status="pending", themes=["food"])
    assert links_of(session, published) == [
        (published, "food", -3.2, 51.5, True),
        (published, "housing", -3.2, 51.5, True),
    ]
    assert [link[4] for link in links_of(session, pending)] == [False]


def test_a_person_is_never_public_even_when_published(session: Session) -> None:
    body = AssetCreate.model_validate(person_body())
    person = asset_service.create_asset(session, actor="test", data=body)
    session.commit()
    assert [link[4] for link in links_of(session, person.id)] == [False]


def test_moving_an_asset_moves_the_copies(session: Session, make_asset: Any) -> None:
    asset_id = make_asset()
    change(session, asset_id, location=_point(-3.0, 51.6))
    assert {(lon, lat) for _, _, lon, lat, _ in links_of(session, asset_id)} == {(-3.0, 51.6)}


def test_status_changes_and_archiving_follow_into_the_copies(
    session: Session, make_asset: Any
) -> None:
    asset_id = make_asset(status="pending")
    change(session, asset_id, status="published")
    assert {link[4] for link in links_of(session, asset_id)} == {True}
    change(session, asset_id, status="rejected")
    assert {link[4] for link in links_of(session, asset_id)} == {False}
    change(session, asset_id, status="published", kind="space")
    assert {link[4] for link in links_of(session, asset_id)} == {True}
    asset_service.archive_asset(session, viewer=SYSTEM, asset_id=asset_id, expected_version=None)
    session.commit()
    assert {link[4] for link in links_of(session, asset_id)} == {False}


def test_changed_themes_get_the_copies_too(session: Session, make_asset: Any) -> None:
    asset_id = make_asset(themes=["food"], location=_point(-3.1, 51.4))
    change(session, asset_id, themes=["housing", "transport"])
    assert links_of(session, asset_id) == [
        (asset_id, "housing", -3.1, 51.4, True),
        (asset_id, "transport", -3.1, 51.4, True),
    ]
    change(session, asset_id, themes=["food", "transport"], location=_point(-3.05, 51.45))
    assert [link[1:4] for link in links_of(session, asset_id)] == [
        ("food", -3.05, 51.45),
        ("transport", -3.05, 51.45),
    ]


def test_lapsed_consent_leaves_the_copies_in_step(session: Session) -> None:
    body = AssetCreate.model_validate(person_body())
    person = asset_service.create_asset(session, actor="test", data=body).id
    session.execute(
        update_statement(person, consent_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    assert expire_consents(session) == [person]
    session.commit()
    assert [link[4] for link in links_of(session, person)] == [False]


def update_statement(asset_id: int, **values: Any) -> Any:
    """A raw UPDATE of the assets table, past the service layer."""
    return update(Asset).where(Asset.id == asset_id).values(**values)


@pytest.mark.parametrize(
    "rows",
    # bulk takes ~9 s (left out of make test-fast)
    [3, pytest.param(250, marks=pytest.mark.slow)],
    ids=["small", "bulk"],
)
def test_imports_write_the_copies_on_create_and_on_update(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    # 250 rows with these settings take the bulk paths (COPY text; R*Tree filled afterwards).
    monkeypatch.setattr(import_writes, "FLUSH_ROWS", 100)
    monkeypatch.setattr(spatialite, "BULK_INDEX_MIN_ROWS", 50)
    first = [
        good_row(n, status="published" if n % 2 else "pending", themes="food;housing")
        for n in range(1, rows + 1)
    ]
    report = import_assets(session, write_csv(tmp_path / "a.csv", first), ImportOptions())
    assert report.ok, report.problems
    session.commit()
    links = assert_in_step(session)
    assert len(links) == 2 * rows
    assert {public for *_, public in links} == {True, False}

    moved = [good_row(n, lat="51.5", status="published") for n in range(1, rows + 1)]
    report = import_assets(session, write_csv(tmp_path / "b.csv", moved), ImportOptions())
    assert report.ok, report.problems
    session.commit()
    links = assert_in_step(session)
    assert {(lat, public) for _, _, _, lat, public in links} == {(51.5, True)}


def test_writes_through_the_api_keep_the_copies_in_step(
    client: TestClient, session: Session
) -> None:
    created = client.post("/api/v1/assets", json=asset_body(status="pending"), headers=ADMIN)
    assert created.status_code == 201, created.text
    asset_id = created.json()["id"]
    assert {link[4] for link in links_of(session, asset_id)} == {False}
    changes = {"status": "published", "location": _point(-3.3, 51.55), "themes": ["transport"]}
    patched = client.patch(
        f"/api/v1/assets/{asset_id}", json=changes, headers={**ADMIN, "If-Match": "*"}
    )
    assert patched.status_code == 200, patched.text
    assert links_of(session, asset_id) == [(asset_id, "transport", -3.3, 51.55, True)]
    archived = client.delete(f"/api/v1/assets/{asset_id}", headers={**ADMIN, "If-Match": "*"})
    assert archived.status_code in (200, 204), archived.text
    assert {link[4] for link in links_of(session, asset_id)} == {False}


def test_publishing_a_suggestion_makes_its_copies_public(
    client: TestClient, session: Session
) -> None:
    body = asset_body()
    body.pop("status")
    suggested = client.post("/api/v1/suggestions", json=body)
    assert suggested.status_code == 201, suggested.text
    (queued,) = client.get("/api/v1/moderation", headers=ADMIN).json()["suggestions"]
    asset_id = queued["id"]  # an anonymous suggester is told a receipt, not the id
    assert {link[4] for link in links_of(session, asset_id)} == {False}
    decided = client.post(
        f"/api/v1/moderation/suggestions/{asset_id}", json={"decision": "publish"}, headers=ADMIN
    )
    assert decided.status_code == 200, decided.text
    assert {link[4] for link in links_of(session, asset_id)} == {True}


def test_the_check_notices_a_write_that_skips_the_copies(session: Session, make_asset: Any) -> None:
    asset_id = make_asset()
    session.execute(update_statement(asset_id, status="pending"))
    session.commit()
    with pytest.raises(AssertionError):
        assert_in_step(session)


def test_gap_counts_agree_with_counts_from_the_assets_table(
    session: Session, make_asset: Any, patches: Patches
) -> None:
    west, east = _point(*patches.west_point), _point(*patches.east_point)  # the centroids
    make_asset(location=west)
    make_asset(location=west, status="pending")
    make_asset(location=east, themes=["food"])
    moved = make_asset(location=west)
    change(session, moved, location=east)
    person = AssetCreate.model_validate(person_body(location=west))
    asset_service.create_asset(session, actor="test", data=person)
    session.commit()

    expected: dict[int, int] = {}
    for (area_id,) in session.execute(
        select(AssetArea.area_id)
        .join(Asset, Asset.id == AssetArea.asset_id)
        .join(AssetTheme, AssetTheme.asset_id == Asset.id)
        .where(AssetTheme.theme_code == "food", visible_assets(ANONYMOUS))
    ):
        expected[area_id] = expected.get(area_id, 0) + 1
    assert sorted(expected.values()) == [1, 2]
    assert counts_in_areas(session, level="lsoa", theme="food") == expected
    # Every asset stands on a centroid, 6.9 km from the other one.
    assert counts_within(session, level="lsoa", theme="food", distance_m=800) == expected


def test_the_migration_fills_the_copies_of_existing_links(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0003")
    stored = [("group", "published", -3.1, 51.4), ("skill", "published", -3.2, 51.5)]
    stored += [("space", "pending", -3.3, 51.6)]
    with blank_engine.begin() as connection:
        theme = {"code": "food", "label_en": "Food", "label_cy": "Bwyd", "position": 0}
        connection.execute(insert(Theme.__table__), [{**theme, "active": True}])
        for asset_id, (kind, status, lon, lat) in enumerate(stored, 1):
            asset = {"id": asset_id, "kind": kind, "status": status, "name_en": "x"}
            asset |= {"search_text": "x", "location": point_element(lon, lat), "version": 1}
            asset |= {"opening_hours": [], "accessibility": [], "languages": []}
            connection.execute(insert(Asset.__table__), [asset])
            connection.execute(
                text("INSERT INTO asset_themes (asset_id, theme_code) VALUES (:a, 'food')"),
                {"a": asset_id},
            )
    upgrade(blank_engine)
    with Session(blank_engine) as session:
        assert stored_links(session) == [
            (1, "food", -3.1, 51.4, True),
            (2, "food", -3.2, 51.5, False),
            (3, "food", -3.3, 51.6, False),
        ]
