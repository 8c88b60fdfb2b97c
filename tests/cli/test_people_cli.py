"""`assetmap people ...`: export and erasure of a person's data, re-erasure after a restore, and
the consent sweep."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from app.models import (
    Asset,
    AssetArea,
    AssetTheme,
    AuditEvent,
    Base,
    Consent,
    Erasure,
    PublicLocation,
    Report,
)
from app.models.base import utcnow
from app.schemas.assets import AssetCreate, AssetUpdate
from app.services.assets.records import create_asset, update_asset
from app.services.assets.visibility import Viewer
from app.services.needs.areas import AreaInput, save_areas
from app.spatial.geometry import point_element
from tests.cli.conftest import Invoke, count
from tests.conftest import person_body

ADMIN_VIEWER = Viewer(actor="admin", role="admin")
MOVED_TO = (-3.15432, 51.48321)
# What must not survive an erasure: name, contacts, exact points (first and after the move).
PERSONAL = (
    "Rhian",
    "rhian@example.org",
    "029 2000 0000",
    "3.1566",
    "51.4812",
    "3.15432",
    "51.48321",
)
PERSON_TABLES = (Consent, PublicLocation, AssetTheme, AssetArea, Report)


@pytest.fixture
def area(session: Session) -> str:
    """A small square area around the person's point; its code."""
    save_areas(
        session,
        level="lsoa",
        areas=[
            AreaInput(
                number=1,
                code="W01000001",
                name_en="Splott 1",
                name_cy="Sblot 1",
                population=1500,
                parent_code=None,
                geom=MultiPolygon([box(-3.16, 51.478, -3.15, 51.488)]),
            )
        ],
        centroids={},
        source="test",
    )
    session.commit()
    return "W01000001"


def make_person(session: Session, **overrides: Any) -> int:
    """A consented, published person (skill) created through the service; its id."""
    data = AssetCreate.model_validate(person_body(**overrides))
    asset = create_asset(session, actor="connector:1", data=data)
    session.commit()
    return asset.id


@pytest.fixture
def person(session: Session, area: str) -> int:
    """A person with a history: created, then moved and given a new phone; a resident's report
    about them. Their id."""
    asset_id = make_person(session)
    change = AssetUpdate.model_validate(
        {"location": {"type": "Point", "coordinates": list(MOVED_TO)}, "phone": "07700 900123"}
    )
    update_asset(session, viewer=ADMIN_VIEWER, asset_id=asset_id, expected_version=1, data=change)
    session.add(
        Report(asset_id=asset_id, problem="wrong", details="Rhian moved", reported_by="resident:9")
    )
    session.commit()
    return asset_id


def rows_about(engine: Engine, asset_id: int) -> dict[str, int]:
    """Rows per person table that point at the asset (and the asset itself)."""
    with engine.connect() as connection:
        found = {
            model.__tablename__: len(
                connection.execute(select(model).where(model.asset_id == asset_id)).all()  # type: ignore[attr-defined]
            )
            for model in PERSON_TABLES
        }
        found["assets"] = len(
            connection.execute(select(Asset.id).where(Asset.id == asset_id)).all()
        )
    return found


def table_text(engine: Engine, *tables: str) -> str:
    """Every row of the tables as text (all of them when none are named), to search."""
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            if not tables or table.name in tables
            for row in connection.execute(select(table))
        )


def audit_events(engine: Engine, asset_id: int) -> list[Any]:
    """The audit events about an asset, oldest first."""
    with engine.connect() as connection:
        stmt = (
            select(AuditEvent)
            .where(AuditEvent.entity_type == "asset", AuditEvent.entity_id == str(asset_id))
            .order_by(AuditEvent.id)
        )
        return list(connection.execute(stmt))


# ---- export ------------------------------------------------------------------------------------


def test_export_holds_everything_about_the_person(assetmap: Invoke, person: int) -> None:
    result = assetmap("people", "export", "--asset", str(person))
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert document["format"] == "assetmap-person-export"
    assert document["format_version"] == 1
    assert document["generated_at"].endswith("+00:00")
    record = document["record"]
    assert record["id"] == person and record["kind"] == "skill"
    assert record["name_en"] == "Rhian Jones"
    assert record["email"] == "rhian@example.org" and record["phone"] == "07700 900123"
    assert record["location"] == {"type": "Point", "coordinates": list(MOVED_TO)}
    assert record["consent_recorded_by"] == "connector:1"
    assert document["themes"] == ["food"]
    (consent,) = document["consents"]
    assert consent["method"] == "written" and consent["notice_version"] == "2026-1"
    assert consent["recorded_by"] == "connector:1" and consent["expires_at"]
    public = document["public_location"]
    assert public["location"]["type"] == "Point"
    assert public["location"]["coordinates"] != list(MOVED_TO)
    assert public["grid"] and public["cell"]
    assert document["areas"] == [{"code": "W01000001", "level": "lsoa"}]
    (report,) = document["reports"]
    assert report["details"] == "Rhian moved" and "reported_by" not in report
    assert [e["action"] for e in document["audit_events"]] == ["create", "update"]
    assert document["audit_events"][1]["changes"]["phone"] == ["029 2000 0000", "07700 900123"]


def test_export_writes_a_file_with_out(assetmap: Invoke, person: int, tmp_path: Path) -> None:
    out = tmp_path / "rhian.json"
    result = assetmap("people", "export", "--asset", str(person), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Rhian" not in result.stdout
    assert orjson.loads(out.read_bytes())["record"]["email"] == "rhian@example.org"


def test_export_refuses_an_asset_that_is_not_a_person(assetmap: Invoke, make_asset: Any) -> None:
    group = make_asset()
    result = assetmap("people", "export", "--asset", str(group))
    assert result.exit_code == 2
    assert "not a person" in result.stderr
    assert result.stdout == ""


def test_export_of_an_unknown_id_fails(assetmap: Invoke, db: Engine) -> None:
    result = assetmap("people", "export", "--asset", "4242")
    assert result.exit_code != 0
    assert "no asset 4242" in result.stderr


# ---- erase -------------------------------------------------------------------------------------


def test_erase_leaves_no_row_about_the_person(assetmap: Invoke, person: int, db: Engine) -> None:
    assert all(n > 0 for n in rows_about(db, person).values())
    result = assetmap("people", "erase", "--asset", str(person))
    assert result.exit_code == 0, result.output
    assert f"erased asset {person}" in result.stdout
    assert rows_about(db, person) == dict.fromkeys(
        ["consents", "public_locations", "asset_themes", "asset_areas", "reports", "assets"], 0
    )


def test_erase_leaves_no_personal_value_anywhere(assetmap: Invoke, person: int, db: Engine) -> None:
    before = table_text(db, "audit_events")
    assert "Rhian" in before and "07700 900123" in before
    assert assetmap("people", "erase", "--asset", str(person)).exit_code == 0
    audit_text = table_text(db, "audit_events")
    for value in (*PERSONAL, "07700 900123"):
        assert value not in audit_text
    everything = table_text(db)
    for value in ("Rhian", "rhian@example.org", "029 2000 0000", "07700 900123"):
        assert value not in everything


def test_erase_keeps_the_shape_of_the_audit_trail(
    assetmap: Invoke, person: int, db: Engine
) -> None:
    kept = [
        (e.id, e.action, e.actor, e.occurred_at, sorted(e.changes))
        for e in audit_events(db, person)
    ]
    assert assetmap("people", "erase", "--asset", str(person)).exit_code == 0
    events = audit_events(db, person)
    assert [
        (e.id, e.action, e.actor, e.occurred_at, sorted(e.changes)) for e in events[:-1]
    ] == kept
    created = events[0].changes
    assert created["name_en"] == ["erased", "erased"]
    assert created["email"] == ["erased", "erased"]
    assert events[1].changes["location"] == ["erased", "erased"]
    erase = events[-1]
    assert (erase.action, erase.actor, erase.changes) == ("erase", "cli", {})


def test_erase_leaves_a_tombstone(assetmap: Invoke, person: int, db: Engine) -> None:
    started = utcnow()
    assert assetmap("people", "erase", "--asset", str(person)).exit_code == 0
    with db.connect() as connection:
        (tombstone,) = connection.execute(select(Erasure)).all()
    assert tombstone.asset_id == person
    assert tombstone.erased_by == "cli"
    assert started <= tombstone.erased_at <= utcnow()


def test_erasing_twice_fails_and_writes_nothing(assetmap: Invoke, person: int, db: Engine) -> None:
    assert assetmap("people", "erase", "--asset", str(person)).exit_code == 0
    trail = table_text(db, "audit_events", "erasures")
    result = assetmap("people", "erase", "--asset", str(person))
    assert result.exit_code != 0
    assert f"asset {person} was already erased" in result.stderr
    assert table_text(db, "audit_events", "erasures") == trail


def test_erasing_an_unknown_id_fails_and_writes_nothing(assetmap: Invoke, db: Engine) -> None:
    result = assetmap("people", "erase", "--asset", "4242")
    assert result.exit_code != 0
    assert "no asset 4242" in result.stderr
    assert count(db, Erasure) == 0 and count(db, AuditEvent) == 0


def test_erase_refuses_an_asset_that_is_not_a_person(
    assetmap: Invoke, make_asset: Any, db: Engine
) -> None:
    group = make_asset()
    result = assetmap("people", "erase", "--asset", str(group))
    assert result.exit_code == 2
    assert "not a person" in result.stderr
    assert count(db, Asset) == 1 and count(db, Erasure) == 0


# ---- after a restore ---------------------------------------------------------------------------


def saved_copy(engine: Engine, asset_id: int) -> dict[str, list[dict[str, Any]]]:
    """The rows a backup holds about an asset (its audit events with their values)."""
    with engine.connect() as connection:
        copy = {
            model.__tablename__: [
                dict(r._mapping)
                for r in connection.execute(
                    select(model.__table__).where(model.asset_id == asset_id)  # type: ignore[attr-defined]
                )
            ]
            for model in (Consent, PublicLocation, AssetTheme, AssetArea)
        }
        copy["assets"] = [
            dict(r._mapping)
            for r in connection.execute(select(Asset.__table__).where(Asset.id == asset_id))
        ]
    copy["audit_events"] = [dict(e._mapping) for e in audit_events(engine, asset_id)]
    return copy


def restore(engine: Engine, copy: dict[str, list[dict[str, Any]]]) -> None:
    """Put the saved rows back, as a restore from the older backup would."""
    with engine.begin() as connection:
        for model in (Asset, Consent, PublicLocation, AssetTheme, AssetArea):
            rows = copy[model.__tablename__]
            if rows:
                connection.execute(insert(model.__table__), rows)
        for event in copy["audit_events"]:
            connection.execute(
                update(AuditEvent)
                .where(AuditEvent.id == event["id"])
                .values(changes=event["changes"])
            )


def test_reapply_erasures_erases_a_restored_person_again(
    assetmap: Invoke, person: int, db: Engine
) -> None:
    backup = saved_copy(db, person)
    assert assetmap("people", "erase", "--asset", str(person)).exit_code == 0
    restore(db, backup)
    assert rows_about(db, person)["assets"] == 1
    assert "Rhian" in table_text(db, "audit_events")

    result = assetmap("people", "reapply-erasures")
    assert result.exit_code == 0, result.output
    assert f"erased again 1 restored person: {person}" in result.stdout
    assert all(n == 0 for n in rows_about(db, person).values())
    audit_text = table_text(db, "audit_events")
    for value in PERSONAL:
        assert value not in audit_text
    assert count(db, Erasure) == 1
    assert [e.action for e in audit_events(db, person)][-2:] == ["erase", "erase"]

    again = assetmap("people", "reapply-erasures")
    assert again.exit_code == 0 and "erased again 0 restored people" in again.stdout


def test_reapply_erasures_leaves_a_newer_asset_with_a_reused_id(
    assetmap: Invoke, person: int, session: Session, db: Engine
) -> None:
    # SQLite hands out max(id) + 1, so an erased newest id can come back on a new record.
    assert assetmap("people", "erase", "--asset", str(person)).exit_code == 0
    now = utcnow()
    session.expunge_all()  # the erased person's object must not linger in this session
    session.add(
        Asset(
            id=person,
            kind="volunteer",
            name_en="Owain Price",
            location=point_element(-3.1566, 51.4812),
            status="pending",
            opening_hours=[],
            accessibility=[],
            languages=[],
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    session.commit()

    result = assetmap("people", "reapply-erasures")
    assert result.exit_code == 0, result.output
    assert "erased again 0" in result.stdout
    assert rows_about(db, person)["assets"] == 1


# ---- consent -----------------------------------------------------------------------------------


def test_expire_consents_unpublishes_a_person_whose_consent_lapsed(
    assetmap: Invoke, session: Session, area: str, db: Engine
) -> None:
    lapsed = make_person(session)
    current = make_person(session, name_en="Owain Price")
    session.execute(
        update(Asset)
        .where(Asset.id == lapsed)
        .values(consent_expires_at=utcnow() - timedelta(days=1))
    )
    session.commit()

    result = assetmap("people", "expire-consents")
    assert result.exit_code == 0, result.output
    assert "unpublished 1 person whose consent lapsed" in result.stdout
    with db.connect() as connection:
        statuses = dict(connection.execute(select(Asset.id, Asset.status)).all())
    assert statuses == {lapsed: "pending", current: "published"}
    assert [e.action for e in audit_events(db, lapsed)] == ["create", "consent-expired"]
    assert "unpublished 0 people" in assetmap("people", "expire-consents").stdout
