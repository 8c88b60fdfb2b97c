"""The gazetteer on the real Cardiff data: `demo --area-dir` loads a folder's places file, and
residents then find Canton as "Treganna", Splott's LSOAs as "near Splott", and CF24 from the
postcodes held."""

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.services.assets.search import search
from app.services.demo import AREA_DIR_FILES, AUTHORITY_FILE, load_demo
from app.services.needs.postcodes import covering_area
from app.services.places.gazetteer import places_in_areas
from app.web.places import area_label
from tests.cli.test_import_places import CARDIFF_ROWS, write_os


@pytest.fixture
def cardiff_with_places(session: Session, cardiff_dir: Path, tmp_path: Path) -> None:
    """The Cardiff folder (linked, not copied) plus a places.csv of hand-made OS Open Names
    rows, loaded by the demo and committed."""
    folder = tmp_path / "cardiff"
    folder.mkdir()
    for name in (*AREA_DIR_FILES, AUTHORITY_FILE):
        (folder / name).symlink_to(cardiff_dir / name)
    write_os(folder / "places.csv", CARDIFF_ROWS)
    result = load_demo(session, area_dir=folder)
    assert result.ok, [(n, r.problems) for n, r in result.steps if not r.ok]
    assert "places.csv" in [name for name, _ in result.steps]
    session.commit()


def test_a_folders_places_file_makes_real_places_findable_by_either_name(
    session: Session, cardiff_with_places: None
) -> None:
    canton = search(session, query="Treganna", radius_m=1000)
    outcode = search(session, query="cf24")

    assert canton.mode == "place" and canton.place is not None
    assert canton.place.name == "Canton"
    assert all(r["distance_m"] <= 1000 for r in canton.records)
    assert outcode.mode == "outcode" and outcode.records
    assert outcode.point is not None and outcode.point[0] == pytest.approx(-3.16, abs=0.03)


def test_the_lsoa_around_splott_is_named_near_splott(
    session: Session, cardiff_with_places: None
) -> None:
    splott = search(session, query="Splott").point
    assert splott is not None
    lsoa = covering_area(session, *splott)
    assert lsoa is not None and lsoa.level == "lsoa"

    label = area_label(session, {"code": lsoa.code, "name_en": lsoa.name_en}, "en")

    assert places_in_areas(session, [lsoa.code])[lsoa.code].name == "Splott"
    assert label == f"{lsoa.name_en}, near Splott" and label.startswith("Cardiff 0")
