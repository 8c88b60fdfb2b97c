"""Maps in a real browser (Debian Chromium): with no basemap nothing leaves the server and the
area outlines and names still say where the map is; with OpenStreetMap only its tile host is
asked, and its credit is a link; the point searched from has its own marker, and the results'
markers carry the list's numbers; the picker's "clear" button shows only once a place is chosen."""

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset
from app.services.needs.areas import AreaInput, save_areas
from app.settings import Settings
from tests.api.conftest import LiveServer, serve
from tests.web.browser import Visit, axe_violations, open_visit

SPLOTT = (-3.1566, 51.4812)
POSTCODE = "CF24 2AA"
AddAssets = Callable[..., list[int]]


@pytest.fixture
def splott(session: Session, add_assets: AddAssets, add_postcode: Callable[..., None]) -> None:
    """Cardiff (a local authority), the Splott ward in it, a postcode and three assets near it."""
    for level, code, en, cy, geom in [
        ("local_authority", "W06000015", "Cardiff", "Caerdydd", box(-3.35, 51.4, -3.0, 51.56)),
        ("ward", "W05000999", "Splott", "Sblot", box(-3.18, 51.47, -3.13, 51.495)),
    ]:
        area = AreaInput(1, code, en, cy, 9000, None, MultiPolygon([geom]))
        save_areas(session, level=level, areas=[area], centroids={}, source="test")
    session.commit()
    add_postcode(POSTCODE, *SPLOTT)
    add_assets(
        {"name_en": "Next door cafe", "lat": SPLOTT[1] + 0.0005},
        {"name_en": "Round the corner", "lat": SPLOTT[1] + 0.004},
        {"name_en": "Far hall", "lon": SPLOTT[0] + 0.008, "lat": SPLOTT[1] - 0.003},
    )


def context_drawn(page: Page) -> None:
    """Wait until the context layer has drawn its outlines."""
    page.wait_for_selector(".folium-map[data-context-areas]")


def test_with_no_basemap_no_request_leaves_and_the_areas_orient(visit: Visit, splott: None) -> None:
    for prefix, ward in (("", "Splott"), ("/cy", "Sblot")):
        page = visit.go(f"{prefix}/search?q={POSTCODE}")
        context_drawn(page)
        page.wait_for_load_state("networkidle")
        assert visit.elsewhere == []  # not one request to another host
        assert page.locator(".leaflet-tile").count() == 0
        # The ward's outline and its name, in the page's language; Cardiff's dashed outline.
        assert page.locator(".leaflet-context-pane path").count() == 2
        labels = page.locator(".context-label").all_inner_texts()
        assert labels == [ward]
        assert any("/api/v1/map/context?" in url for url in visit.requests)
    assert visit.errors == []


def test_every_kind_of_map_stays_on_the_server_and_draws_the_areas(
    visit: Visit, splott: None, session: Session
) -> None:
    asset_id = session.scalars(select(Asset.id).order_by(Asset.id)).first()
    for path in ("/suggest", "/embed", f"/assets/{asset_id}", "/cy/suggest"):
        page = visit.go(path)
        context_drawn(page)
        page.wait_for_load_state("networkidle")
        assert page.locator(".leaflet-context-pane path").count() >= 1, path
    assert visit.elsewhere == [] and visit.errors == []


def test_the_searched_postcode_has_its_own_marker_and_the_results_are_numbered(
    visit: Visit, splott: None
) -> None:
    for prefix, label in (
        ("", f"You searched here: {POSTCODE}"),
        ("/cy", f"Dyma lle chwilioch chi: {POSTCODE}"),
    ):
        page = visit.go(f"{prefix}/search?q={POSTCODE}")
        searched = page.locator("img.searched-here")
        searched.wait_for()
        assert searched.get_attribute("alt") == label
        assert searched.get_attribute("src") == "/static/img/searched-here.svg"
        names = page.locator(".result-name").all_inner_texts()
        assert names == ["Next door cafe", "Round the corner", "Far hall"]
        numbers = page.locator(".result-number").all_inner_texts()
        assert numbers == ["1", "2", "3"]
        markers = page.locator("img.result-marker")
        alts = sorted(markers.evaluate_all("ms => ms.map(m => m.alt)"))
        assert alts == ["1. Next door cafe", "2. Round the corner", "3. Far hall"]
        # Each marker draws its number (an SVG image), distinct from the searched point's.
        for marker in markers.all():
            src = marker.get_attribute("src") or ""
            number = (marker.get_attribute("alt") or "").split(".")[0]
            assert src.startswith("data:image/svg+xml,") and f"%3E{number}%3C%2Ftext" in src
        # Not a control: it never covers a result's marker for a pointer or the keyboard.
        assert searched.get_attribute("tabindex") is None
        assert axe_violations(page) == []
    assert visit.errors == [] and visit.elsewhere == []


def test_a_stack_of_numbered_results_shows_their_numbers(
    visit: Visit, add_assets: AddAssets, add_postcode: Callable[..., None]
) -> None:
    add_postcode(POSTCODE, *SPLOTT)
    add_assets(*[{"name_en": f"Unit {n}", "lat": SPLOTT[1] + n * 0.00001} for n in range(1, 5)])
    add_assets({"name_en": "Further away", "lat": SPLOTT[1] + 0.004})
    page = visit.go(f"/search?q={POSTCODE}")
    stack = page.locator(".numbered-stack")
    stack.wait_for()
    # Four in one place: the first two numbers and how many more, never a bare "4" that
    # could be read as the result numbered 4.
    assert stack.locator("[aria-hidden]").inner_text() == "1, 2 +2"
    assert stack.locator(".visually-hidden").inner_text() == "Places here: 4 (1, 2, 3, 4)"
    assert page.locator("img.result-marker").get_attribute("alt") == "5. Further away"
    assert axe_violations(page) == []


@pytest.fixture
def osm_web(settings: Settings) -> Iterator[LiveServer]:
    """The app with the default basemap, OpenStreetMap (the tests' own default is none)."""
    with serve(settings.model_copy(update={"basemap": "osm"})) as live:
        yield live


def test_openstreetmap_tiles_are_the_only_other_host_asked(
    browser: Browser, osm_web: LiveServer, splott: None
) -> None:
    visit = open_visit(browser, osm_web.url)
    try:
        page = visit.go(f"/search?q={POSTCODE}")
        context_drawn(page)
        page.wait_for_load_state("networkidle")
        # Offline here: the browser's guard refuses them, as a firewall would. Only the tiles
        # of the view are asked for, and only of tile.openstreetmap.org.
        assert visit.elsewhere
        assert all(u.startswith("https://tile.openstreetmap.org/") for u in visit.elsewhere)
        assert all(u.endswith(".png") for u in visit.elsewhere)
        credit = page.locator(".leaflet-control-attribution a", has_text="OpenStreetMap")
        assert credit.inner_text() == "© OpenStreetMap contributors"
        assert credit.get_attribute("href") == "https://www.openstreetmap.org/copyright"
        # Outlines and names still orient the map where the tiles do not load.
        assert page.locator(".context-label").all_inner_texts() == ["Splott"]
        assert visit.errors == []
    finally:
        visit.context.close()


def test_a_tile_servers_credit_is_shown_as_text(
    browser: Browser, settings: Settings, add_assets: AddAssets
) -> None:
    add_assets({"name_en": "Splott lunch club", "search_text": "splott lunch club"})
    credit = 'Tiles © "Council" & <friends'.replace("<", "")
    tiles = {
        "basemap": "https://tiles.invalid/{z}/{x}/{y}.png",
        "basemap_attribution": credit,
        "basemap_attribution_url": "https://council.invalid/terms?a=1&b=2",
    }
    with serve(settings.model_copy(update=tiles)) as live:
        visit = open_visit(browser, live.url)
        try:
            page = visit.go("/search?q=splott")
            link = page.locator(".leaflet-control-attribution a", has_text="Council")
            assert link.inner_text() == credit
            assert link.get_attribute("href") == "https://council.invalid/terms?a=1&b=2"
            assert visit.errors == []
        finally:
            visit.context.close()


@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_the_clear_button_shows_only_once_a_place_is_chosen(visit: Visit, prefix: str) -> None:
    page = visit.go(f"{prefix}/suggest")
    box_ = page.locator("[data-pick-location]")
    assert box_.is_visible()
    clear = page.locator("[data-pick-clear]")
    assert clear.is_hidden()
    box_.locator(".folium-map").click(position={"x": 120, "y": 80})
    assert clear.is_visible() and page.input_value("#lon") != ""
    clear.click()
    assert clear.is_hidden() and page.input_value("#lon") == ""
    assert visit.errors == [] and visit.elsewhere == []


def test_the_page_names_its_icon_and_the_server_has_it(visit: Visit) -> None:
    page = visit.go("/cy/")
    assert page.locator("link[rel=icon]").first.get_attribute("href") == "/favicon.ico"
    # Asked for as a browser does for its tab; the page's own routing does not see favicons.
    response = page.request.get(visit.base + "/favicon.ico")
    assert response.status == 200 and response.body()[:4] == b"\x00\x00\x01\x00"
