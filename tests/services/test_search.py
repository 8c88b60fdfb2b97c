"""The resident's search: places by English or Welsh name (folded), the assets inside the best
place, assets by name, near a postcode or a point, filtered by theme and kind; never people."""

from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Postcode
from app.services.assets.search import (
    PUBLIC_KINDS,
    SearchFilters,
    clean_filters,
    find_places,
    parse_near,
    public_asset,
    search,
)
from app.services.needs.areas import (
    AreaFields,
    AreaInput,
    assign_all_assets,
    read_areas,
    save_areas,
)
from app.spatial.geometry import point_element
from tests.api.conftest import insert_assets

CARDIFF_CENTRE = (-3.1791, 51.4816)  # in the Cardiff local authority
SWANSEA = (-3.9436, 51.6214)  # well outside it
SPLOTT = (-3.1566, 51.4812)


def add(session: Session, *rows: dict[str, Any]) -> list[int]:
    """Published assets (overrides per row), assigned to the areas held, committed."""
    ids = insert_assets(session, list(rows))
    assign_all_assets(session)
    session.commit()
    return ids


def names(records: list[dict[str, Any]]) -> list[str]:
    return [r["name_en"] for r in records]


def square_areas(session: Session, *areas: tuple[str, str, str | None, str | None]) -> None:
    """Areas (code, level, English name, Welsh name), each a 0.1-degree square near Cardiff."""
    for n, (code, level, name_en, name_cy) in enumerate(areas):
        geom = MultiPolygon([box(-3.3 + n / 10, 51.4, -3.2 + n / 10, 51.5)])
        item = AreaInput(n + 1, code, name_en, name_cy, None, None, geom)
        save_areas(session, level=level, areas=[item], centroids={}, source="test")
    session.commit()


@pytest.fixture
def cardiff(session: Session, cardiff_lsoas: int, cardiff_dir: Path) -> str:
    """The real Cardiff local authority (Cardiff / Caerdydd) over its 214 LSOAs; its code."""
    fields = AreaFields(code="lad_code", name_en="lad_name", name_cy="lad_name_cy")
    areas, bad, _ = read_areas(cardiff_dir / "local_authority_boundary.geojson", fields)
    assert not bad
    save_areas(session, level="local_authority", areas=areas, centroids={}, source="test")
    session.commit()
    return areas[0].code


@pytest.mark.parametrize("query", ["Caerdydd", "caerdydd", "Cardiff", " CARDIFF "])
def test_a_place_is_found_by_its_english_or_welsh_name(
    session: Session, cardiff: str, query: str
) -> None:
    add(
        session,
        {"name_en": "Central library", "lon": CARDIFF_CENTRE[0], "lat": CARDIFF_CENTRE[1]},
        {"name_en": "Swansea market", "lon": SWANSEA[0], "lat": SWANSEA[1]},
    )
    results = search(session, query=query)
    assert results.mode == "text"
    assert results.area is not None and results.area.code == cardiff == "W06000015"
    assert (results.area.name_en, results.area.name_cy) == ("Cardiff", "Caerdydd")
    assert names(results.area_records) == ["Central library"]
    # The county first; its LSOAs ("Cardiff 036A", "Caerdydd 036A") match less well.
    assert len(results.places) == 10 and results.more_places


def test_accents_and_case_do_not_matter_either_way(session: Session) -> None:
    square_areas(session, ("X1", "custom", "Isle of Anglesey", "Ynys Môn"))
    for query in ("ynys mon", "YNYS MÔN", "Môn", "anglesey"):
        places, _ = find_places(session, query)
        assert [p.code for p in places] == ["X1"], query
    assert find_places(session, "bangor") == ([], False)


def test_the_best_place_is_a_whole_name_then_a_bigger_area(session: Session) -> None:
    square_areas(
        session,
        ("L1", "lsoa", "Splott 001A", "Sblot 001A"),
        ("W1", "ward", "Splott", "Sblot"),
        ("L2", "lsoa", "Splott", "Sblot"),
        ("C1", "custom", "East of Splott", None),
    )
    places, more = find_places(session, "splott")
    assert [p.code for p in places] == ["W1", "L2", "L1", "C1"] and not more
    assert [p.code for p in find_places(session, "Sblot")[0]] == ["W1", "L2", "L1"]
    assert [p.code for p in find_places(session, "splott", limit=2)[0]] == ["W1", "L2"]
    assert find_places(session, "splott", limit=2)[1] is True
    assert [p.code for p in find_places(session, "l1")[0]] == ["L1"]  # by code too


def test_assets_in_a_place_come_from_the_stored_area_assignment(session: Session) -> None:
    square_areas(session, ("W1", "ward", "Splott", "Sblot"), ("W2", "ward", "Adamsdown", None))
    add(
        session,
        {"name_en": "Inside", "lon": -3.25, "lat": 51.45},
        {"name_en": "Next door area", "lon": -3.15, "lat": 51.45},
        {"name_en": "Pending inside", "lon": -3.25, "lat": 51.45, "status": "pending"},
        {"name_en": "Person inside", "lon": -3.25, "lat": 51.45, "kind": "skill"},
    )
    results = search(session, query="Sblot")
    assert names(results.area_records) == ["Inside"]
    assert names(results.all_records) == ["Inside"]


def test_assets_are_found_by_name_beside_places(session: Session) -> None:
    square_areas(session, ("W1", "ward", "Splott", "Sblot"))
    add(
        session,
        {"name_en": "Splott lunch club", "search_text": "splott lunch club", "lon": 0, "lat": 0},
        {"name_en": "In Splott", "lon": -3.25, "lat": 51.45},
    )
    results = search(session, query="splott")
    assert names(results.records) == ["Splott lunch club"]
    assert names(results.area_records) == ["In Splott"]
    assert names(results.all_records) == ["In Splott", "Splott lunch club"]


def test_a_postcode_finds_what_is_within_a_kilometre_nearest_first(session: Session) -> None:
    session.add(Postcode(postcode="CF24 2AA", location=point_element(*SPLOTT)))
    add(
        session,
        {"name_en": "Far", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.01},
        {"name_en": "Near", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.004},
        {"name_en": "Nearest", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.0001},
    )
    results = search(session, query="cf24 2aa")
    assert results.mode == "postcode" and results.postcode == "CF24 2AA"
    assert names(results.records) == ["Nearest", "Near"]
    assert results.places == []


def test_a_point_finds_what_is_within_a_kilometre_nearest_first(session: Session) -> None:
    add(
        session,
        {"name_en": "Far", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.01},
        {"name_en": "Near", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.004},
        {"name_en": "Nearest", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.0001},
        {"name_en": "A person", "kind": "volunteer", "lon": SPLOTT[0], "lat": SPLOTT[1]},
    )
    results = search(session, near=f"{SPLOTT[1]},{SPLOTT[0]}")
    assert results.mode == "near" and results.near == (SPLOTT[1], SPLOTT[0])
    assert names(results.records) == ["Nearest", "Near"]


def test_text_wins_over_a_point(session: Session) -> None:
    add(session, {"name_en": "Splott lunch club", "search_text": "splott lunch club"})
    results = search(session, query="lunch", near="0,0")
    assert results.mode == "text" and names(results.records) == ["Splott lunch club"]


@pytest.mark.parametrize(
    "near", ["", "51.48", "51.48,-3.15,2", "north,west", "91,0", "0,181", "nan,0", "inf,1", ","]
)
def test_a_point_that_is_not_one_is_refused(near: str) -> None:
    with pytest.raises(ValueError):
        parse_near(near)


def test_a_bad_point_is_reported_not_searched(session: Session) -> None:
    results = search(session, near="somewhere")
    assert results.mode == "near" and results.near_invalid and results.records == []


@pytest.mark.parametrize("mode", ["text", "postcode", "near", "place"])
def test_theme_and_kind_filters_apply_to_every_kind_of_search(session: Session, mode: str) -> None:
    session.add(Postcode(postcode="CF24 2AA", location=point_element(*SPLOTT)))
    square_areas(session, ("W1", "ward", "Tremorfa", None), ("W2", "ward", "Splott", None))
    common = {"search_text": "splott", "lon": SPLOTT[0], "lat": SPLOTT[1]}
    add(
        session,
        {"name_en": "Food group", "kind": "group", "themes": ["food"], **common},
        {"name_en": "Food space", "kind": "space", "themes": ["food"], **common},
        {"name_en": "Housing group", "kind": "group", "themes": ["housing"], **common},
        {"name_en": "Food skill", "kind": "skill", "themes": ["food"], **common},
    )
    query, near = {
        "text": ("splott", None),
        "postcode": ("CF24 2AA", None),
        "near": ("", f"{SPLOTT[1]},{SPLOTT[0]}"),
        "place": ("Splott", None),
    }[mode]
    everything = search(session, query=query, near=near)
    assert sorted(names(everything.all_records)) == ["Food group", "Food space", "Housing group"]
    food = search(session, query=query, near=near, filters=SearchFilters(themes=("food",)))
    assert sorted(names(food.all_records)) == ["Food group", "Food space"]
    food_groups = SearchFilters(themes=("food",), kinds=("group",))
    assert names(search(session, query=query, near=near, filters=food_groups).all_records) == [
        "Food group"
    ]
    spaces = SearchFilters(kinds=("space", "group"))
    assert sorted(names(search(session, query=query, near=near, filters=spaces).all_records)) == [
        "Food group",
        "Food space",
        "Housing group",
    ]


def test_filters_keep_only_known_themes_and_public_kinds(session: Session) -> None:
    filters = clean_filters(
        session,
        themes=["food", "nope", "food", "housing", "x" * 1000],
        kinds=["skill", "volunteer", "group", "nope", "group"],
    )
    assert filters == SearchFilters(themes=("food", "housing"), kinds=("group",))
    assert set(PUBLIC_KINDS) == {"group", "space", "organisation", "service", "business", "culture"}


def test_a_person_kind_as_a_filter_never_finds_people(session: Session) -> None:
    add(session, {"name_en": "Gwen sewing", "kind": "skill", "search_text": "sewing"})
    results = search(session, query="sewing", filters=SearchFilters(kinds=("skill",)))
    assert results.all_records == []


def test_the_public_asset_is_published_and_not_a_person(session: Session) -> None:
    shown, pending, archived, person = add(
        session,
        {"name_en": "Shown"},
        {"name_en": "Pending", "status": "pending"},
        {"name_en": "Archived", "status": "archived"},
        {"name_en": "Person", "kind": "volunteer"},
    )
    assert public_asset(session, shown)["name_en"] == "Shown"
    for asset_id in (pending, archived, person, shown + 100, 0, -1, 2**31, 10**20):
        with pytest.raises(NotFound) as caught:
            public_asset(session, asset_id)
        assert caught.value.message == f"asset {asset_id} not found"


def test_the_page_of_results_is_capped(session: Session) -> None:
    add(session, *({"name_en": f"Club {i}", "search_text": "club"} for i in range(55)))
    results = search(session, query="club")
    assert len(results.records) == 50 and results.more
