"""A resident searching by the names people use, in a real browser (Debian Chromium): a place
in Welsh and in English, an outcode, the distance control, and back to the same search."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.services.imports.places import import_places
from tests.cli.test_import_places import write_os
from tests.web.browser import Visit, axe_violations
from tests.web.test_search_places import CANTON, CANTON_ROW, SPLOTT, SPLOTT_ROW

AddAssets = Callable[..., list[int]]


@pytest.fixture
def cardiff_places(
    session: Session,
    tmp_path: Path,
    add_assets: AddAssets,
    add_postcode: Callable[[str, float, float], None],
) -> list[int]:
    """Splott / Sblot and Canton / Treganna in the gazetteer, two postcodes of CF24, and
    assets: a club 350 m from Canton, a hall 1.5 km from it, a cafe in Splott (170 m from
    the centre of CF24)."""
    assert import_places(session, path=write_os(tmp_path / "n.csv", [SPLOTT_ROW, CANTON_ROW])).ok
    session.commit()
    add_postcode("CF24 2AA", SPLOTT[0], SPLOTT[1] - 0.001)
    add_postcode("CF24 2AB", SPLOTT[0], SPLOTT[1] + 0.001)
    return add_assets(
        {"name_en": "Canton lunch club", "name_cy": "Clwb cinio Treganna",
         "lon": CANTON[0], "lat": CANTON[1] + 0.00315},
        {"name_en": "Cowbridge Road hall", "name_cy": "Neuadd Heol y Bont-faen",
         "lon": CANTON[0], "lat": CANTON[1] + 0.0135},
        {"name_en": "Splott cafe", "name_cy": "Caffi Sblot", "lon": SPLOTT[0],
         "lat": SPLOTT[1] + 0.0015},
    )  # fmt: skip


def search_for(visit: Visit, start: str, words: str) -> None:
    """Type words into the search box of the page at `start` and search."""
    page = visit.go(start)
    page.fill("#q", words)
    with page.expect_navigation():
        page.press("#q", "Enter")


def test_a_resident_finds_a_place_by_its_welsh_name_widens_the_search_and_comes_back(
    visit: Visit, cardiff_places: list[int]
) -> None:
    search_for(visit, "/cy/", "Treganna")
    page = visit.page

    assert page.locator("#results-heading").inner_text() == "Treganna (Canton): 1 lle o fewn 1 km"
    assert page.locator(".result-distance").all_inner_texts() == ["350 m i ffwrdd"]
    page.select_option("#radius", "2000")
    with page.expect_navigation():
        page.click(".search-row button")
    assert page.locator("#results-heading").inner_text() == "Treganna (Canton): 2 le o fewn 2 km"
    assert page.locator(".result-name").all_inner_texts() == [
        "Clwb cinio Treganna", "Neuadd Heol y Bont-faen",
    ]  # fmt: skip
    assert axe_violations(page) == []
    searched = page.url
    with page.expect_navigation():
        page.click(".results a >> nth=1")
    with page.expect_navigation():
        page.get_by_role("link", name="Yn ôl i\u2019r chwiliad").click()
    assert page.url == searched
    assert page.input_value("#q") == "Treganna" and page.input_value("#radius") == "2000"
    assert visit.errors == [] and visit.elsewhere == []


def test_a_resident_finds_a_place_by_its_english_name_and_an_outcode(
    visit: Visit, cardiff_places: list[int]
) -> None:
    search_for(visit, "/", "canton")
    page = visit.page
    assert (
        page.locator("#results-heading").inner_text() == "1 place within 1 km of Canton (Treganna)"
    )
    assert page.locator(".result-distance").all_inner_texts() == ["350 m away"]

    search_for(visit, "/", "cf24")
    assert page.locator("#results-heading").inner_text() == "1 place within 1 km of CF24"
    assert page.locator(".result-name").all_inner_texts() == ["Splott cafe"]
    assert axe_violations(page) == []
    assert visit.errors == [] and visit.elsewhere == []
