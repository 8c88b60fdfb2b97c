"""The planner pages in a real browser (Debian Chromium), on the demo data: accessible with an
area's tooltip open, offline, in both languages, 320 px wide, and printable on A4."""

import pytest
from sqlalchemy.orm import Session

from app.services.demo import load_demo
from tests.web.browser import Visit, axe_violations

AREA = "X01000020"


@pytest.fixture
def demo(session: Session) -> None:
    """The fictional Aberllyn demo, committed."""
    assert load_demo(session).ok
    session.commit()


def _no_sideways_scroll(visit: Visit) -> None:
    page = visit.page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("path", ["/planner?theme=food", "/cy/planner?theme=food"])
def test_the_planner_map_with_a_tooltip_open_is_accessible_and_offline(
    visit: Visit, demo: None, path: str
) -> None:
    page = visit.go(path)
    areas = page.locator("path.leaflet-interactive")
    areas.first.wait_for()
    assert areas.count() == 20
    areas.nth(10).hover()
    page.locator(".leaflet-tooltip").first.wait_for()
    assert "Need decile" in page.locator(".leaflet-tooltip").first.inner_text() or (
        "Degradd angen" in page.locator(".leaflet-tooltip").first.inner_text()
    )
    # The deficit markers carry their titles; the layer control lists every layer.
    assert page.locator(".leaflet-marker-icon").evaluate_all("els => els.map(e => e.alt)")
    assert page.locator(".leaflet-control-layers-overlays label").count() == 9
    assert axe_violations(page) == []
    assert visit.elsewhere == [] and visit.errors == []


@pytest.mark.parametrize("path", [f"/areas/{AREA}", f"/cy/areas/{AREA}"])
def test_an_area_profile_is_accessible_and_offline(visit: Visit, demo: None, path: str) -> None:
    page = visit.go(path)
    page.locator("path.leaflet-interactive").first.wait_for()
    page.locator(".leaflet-marker-icon").first.hover()
    page.locator(".leaflet-tooltip").first.wait_for()
    assert axe_violations(page) == []
    assert visit.elsewhere == [] and visit.errors == []


@pytest.mark.parametrize("path", ["/planner?theme=food", f"/cy/areas/{AREA}"])
def test_no_sideways_scroll_at_320_px(visit: Visit, demo: None, path: str) -> None:
    visit.page.set_viewport_size({"width": 320, "height": 640})
    visit.go(path)
    _no_sideways_scroll(visit)


def test_printing_hides_the_navigation_and_fits_a4(visit: Visit, demo: None) -> None:
    page = visit.go("/planner?theme=food")
    page.locator("path.leaflet-interactive").first.wait_for()
    assert page.locator(".site-nav").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    assert not page.locator("form.planner-choices").is_visible()
    assert (
        page.locator(".planner-legend").is_visible() and page.locator(".planner-table").is_visible()
    )
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_print_view_prints_its_static_map(visit: Visit, demo: None) -> None:
    page = visit.go("/planner?theme=food&print=1")
    page.emulate_media(media="print")
    assert page.locator(".planner-static-map").is_visible()
    assert page.locator(".planner-screen-only").is_hidden()
    assert page.pdf(format="A4").startswith(b"%PDF")
    assert axe_violations(page) == []


def test_hostile_area_and_gap_names_are_shown_exactly_and_never_run(
    visit: Visit, session: Session, demo: None
) -> None:
    from sqlalchemy import select

    from app.models import Area, Deficit

    area_name, gap_title = (
        "<img src=x onerror=window.__xss=1> ${window.__xss=2}",
        "`+(window.__xss=3)+`",
    )
    area = session.scalars(select(Area).where(Area.code == AREA)).one()
    area.name_en = area.name_cy = area_name
    gap = session.scalars(select(Deficit).where(Deficit.theme_code == "food")).first()
    assert gap is not None
    gap.title_en = gap.title_cy = gap_title
    session.commit()
    for path in ("/planner?theme=food", f"/areas/{AREA}"):
        page = visit.go(path)
        page.locator(".leaflet-marker-icon").first.hover()
        page.locator(".leaflet-tooltip").first.wait_for()
        assert gap_title in page.locator(".leaflet-tooltip").first.inner_text()
        assert gap_title in page.locator(".planner-gap-title").all_inner_texts()
        assert page.evaluate("window.__xss") is None and visit.errors == []
        if path.startswith("/planner"):
            assert page.locator(f'.planner-table a[href="/areas/{AREA}"]').inner_text() == area_name
    assert area_name in page.locator("h1").inner_text()
