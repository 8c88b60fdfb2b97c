"""The gazetteer: names found in either language with accents and case folded, outcodes from the
postcodes held, theme words in both languages, and the place an area is near."""

from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.models import GazetteerPlace, Postcode
from app.services.assets.search import search
from app.services.assets.themes import themes_named
from app.services.imports.places import import_places
from app.services.needs.areas import AreaInput, save_areas
from app.services.places.gazetteer import (
    TOP,
    find_places,
    outcode_centre,
    outcode_of,
    place_key,
    places_in_areas,
)
from app.spatial.geometry import point_element
from tests.cli.test_import_places import CARDIFF_ROWS, os_row, write_os
from tests.services.test_search import add


@pytest.fixture
def gazetteer(session: Session, tmp_path: Path) -> None:
    """Splott, Canton / Treganna, Ystum Taf / Llandaff North and Cardiff / Caerdydd, from
    OS Open Names rows, plus a hamlet with a circumflex."""
    rows = [
        *CARDIFF_ROWS,
        os_row("osgb4000000074559020", "Tŷ-Coch", 319000, 178000, local="Hamlet"),
    ]
    report = import_places(session, path=write_os(tmp_path / "names.csv", rows))
    assert report.ok, report.problems
    session.commit()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Tŷ Gwyn", "tygwyn"),
        ("Pen-y-lan", "penylan"),
        ("pen y lan", "penylan"),
        ("HENDRE'R ŴYN", "hendrerwyn"),
        ("Môr-lan", "morlan"),
        ("Ystum  Taf", "ystumtaf"),
    ],
)
def test_names_fold_to_one_key_whatever_the_accents_case_spaces_and_hyphens(
    text: str, key: str
) -> None:
    assert place_key(text) == key


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Treganna", "Canton"),
        ("canton", "Canton"),
        ("Ystum Taf", "Llandaff North"),
        ("ystum-taf", "Llandaff North"),
        ("Llandaff North", "Llandaff North"),
        ("Caerdydd", "Cardiff"),
        ("ty coch", "Tŷ-Coch"),
        ("TŶ COCH", "Tŷ-Coch"),
    ],
)
def test_a_place_is_found_by_either_name_with_accents_folded(
    session: Session, gazetteer: None, query: str, found: str
) -> None:
    (best, *_) = find_places(session, query)
    assert best.name == found and best.exact


def test_the_start_of_a_name_finds_it_but_not_roads_or_postcodes(
    session: Session, gazetteer: None
) -> None:
    assert [p.name for p in find_places(session, "Splo")] == ["Splott"]
    assert [p.name for p in find_places(session, "Trega")] == ["Canton"]
    assert find_places(session, "Splott Road") == []
    assert find_places(session, "sp") == []  # too short to mean a place
    assert find_places(session, "%") == [] and find_places(session, "_") == []


def test_an_outcode_is_the_centre_of_its_postcodes_held(session: Session) -> None:
    for postcode, lon, lat in (
        ("CF10 1AA", -3.18, 51.48),
        ("CF10 2BB", -3.16, 51.47),
        ("CF11 1AA", -3.30, 51.40),
    ):
        session.add(Postcode(postcode=postcode, location=point_element(lon, lat)))
    session.commit()

    centre = outcode_centre(session, outcode_of(" cf10 ") or "")

    assert centre is not None and centre.postcodes == 2
    assert (centre.lon, centre.lat) == (pytest.approx(-3.17), pytest.approx(51.475))
    assert outcode_centre(session, "CF99") is None
    assert outcode_of("CF10 1AA") is None and outcode_of("Splott") is None


@pytest.mark.parametrize("words", ["food", "Food", "bwyd", "BWYD"])
def test_theme_words_name_the_theme_in_either_language(session: Session, words: str) -> None:
    assert themes_named(session, words) == ("food",)


def test_theme_words_find_the_themes_assets_though_their_names_do_not_say_it(
    session: Session,
) -> None:
    add(
        session,
        {"name_en": "Tuesday pantry", "search_text": "tuesday pantry", "themes": ["food"]},
        {"name_en": "Chess club", "search_text": "chess club", "themes": ["arts_culture"]},
    )

    for words in ("food", "bwyd"):
        assert [r["name_en"] for r in search(session, query=words).records] == ["Tuesday pantry"]
    assert themes_named(session, "and") == ()


def test_a_gazetteer_name_searches_near_the_place_with_distances(
    session: Session, gazetteer: None
) -> None:
    add(
        session,
        {"name_en": "Near Splott", "lon": -3.1566, "lat": 51.4830},
        {"name_en": "Far away", "lon": -3.1566, "lat": 51.5100},
    )

    near = search(session, query="Sblot")  # not a Welsh name held: the start of nothing
    results = search(session, query="splott")
    wider = search(session, query="SPLOTT", radius_m=5000)

    assert near.mode == "text"
    assert results.mode == "place" and results.place is not None
    assert [r["name_en"] for r in results.records] == ["Near Splott"]
    assert results.records[0]["distance_m"] == pytest.approx(200, abs=30)
    assert [r["name_en"] for r in wider.records] == ["Near Splott", "Far away"]
    with pytest.raises(ValueError, match="radius"):
        search(session, query="splott", radius_m=750)


def test_an_area_is_near_the_gazetteer_place_inside_it(session: Session, gazetteer: None) -> None:
    around_splott = MultiPolygon([box(-3.17, 51.475, -3.145, 51.49)])
    nowhere = MultiPolygon([box(-3.5, 51.6, -3.4, 51.7)])
    save_areas(
        session,
        level="lsoa",
        areas=[
            AreaInput(1, "W01001700", "Cardiff 032A", "Caerdydd 032A", 1500, None, around_splott),
            AreaInput(2, "W01001701", "Cardiff 099A", None, 1500, None, nowhere),
        ],
        centroids={},
        source="test",
    )
    session.commit()

    near = places_in_areas(session, ["W01001700", "W01001701"])

    assert near["W01001700"].name == "Splott"
    assert "W01001701" not in near


def test_a_prefix_search_reads_the_name_key_indexes(session: Session, gazetteer: None) -> None:
    key, top = "trega", TOP
    stmt = select(GazetteerPlace.id).where(
        or_(
            and_(GazetteerPlace.name_key >= key, GazetteerPlace.name_key < key + top),
            and_(GazetteerPlace.name_cy_key >= key, GazetteerPlace.name_cy_key < key + top),
        )
    )
    connection = session.connection()
    sql = str(stmt.compile(connection, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN" if connection.dialect.name == "sqlite" else "EXPLAIN"
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table
    plan = " ".join(str(row) for row in connection.exec_driver_sql(f"{explain} {sql}"))

    assert "ix_places_name_key" in plan and "ix_places_name_cy_key" in plan
    assert session.execute(stmt).scalars().all() != []
