"""`assetmap demo`: the fictional example area that ships with the project, or a real folder."""

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import KINDS, PERSON_KINDS, Asset, AssetTheme
from app.services.demo import DEMO_SOURCE
from tests.cli.conftest import Invoke, audit_count, count


def test_demo_loads_a_fictional_area_covering_every_kind_that_needs_no_consent(
    assetmap: Invoke, db: Engine
) -> None:
    result = assetmap("demo")

    assert result.exit_code == 0, result.output
    with Session(db) as session:
        assets = session.scalars(select(Asset)).all()
        themes = set(session.scalars(select(AssetTheme.theme_code)))
    assert 60 <= len(assets) <= 150
    assert {a.kind for a in assets} == set(KINDS) - set(PERSON_KINDS)
    assert all(a.source == DEMO_SOURCE for a in assets)
    assert all(a.description_en.startswith("Fictional example (Aberllyn") for a in assets)
    assert all(a.description_cy.startswith("Enghraifft ffug") for a in assets)
    assert any(a.name_en and a.name_cy for a in assets)
    assert any(a.name_cy and not a.name_en for a in assets)  # Welsh-only names too
    assert any(a.opening_hours for a in assets) and any(a.accessibility for a in assets)
    assert any("cy" in a.languages for a in assets)
    assert any(a.service_area is not None for a in assets)
    assert len(themes) >= 15


def test_running_the_demo_twice_changes_nothing(assetmap: Invoke, db: Engine) -> None:
    assert assetmap("demo").exit_code == 0
    assets, events = count(db), audit_count(db)

    again = assetmap("demo")

    assert again.exit_code == 0, again.output
    assert f"0 created, 0 updated, {assets} unchanged" in again.output
    assert (count(db), audit_count(db)) == (assets, events)


def test_demo_from_an_area_folder_loads_its_real_assets(
    assetmap: Invoke, db: Engine, cardiff_dir: Path
) -> None:
    result = assetmap("demo", "--area-dir", str(cardiff_dir))

    assert result.exit_code == 0, result.output
    assert "107 created" in result.output
    with Session(db) as session:
        assert session.scalar(select(Asset.source).where(Asset.source == DEMO_SOURCE)) is None


def test_demo_from_a_folder_without_assets_says_so(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    result = assetmap("demo", "--area-dir", str(tmp_path))

    assert result.exit_code == 2
    assert "no assets.geojson" in result.output
