"""The planner pages in a real browser (Debian Chromium), on the demo data: accessible with an
area's tooltip open, offline, in both languages, 320 px wide, and printable on A4."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page
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
    assert page.locator(".leaflet-control-layers-overlays label").count() == 10
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


# ---- the planner leads with its answer (issue 13, item 3) ---------------------------------------


def pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF from Chromium has (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def _categories(page: Page) -> dict[str, str]:
    """Area code -> gap category, as the table shows it now."""
    return dict(
        page.locator("table.planner-table tbody tr").evaluate_all(
            "rows => rows.map(r => [r.dataset.code, r.cells[4].textContent.trim()])"
        )
    )


@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_a_planner_changes_the_distance_and_sees_the_categories_change(
    visit: Visit, demo: None, prefix: str
) -> None:
    page = visit.go(prefix + "/planner?theme=food")
    page.locator("path.leaflet-interactive").first.wait_for()
    # The map is at the top: in view without scrolling on a 1366 x 768 screen.
    page.set_viewport_size({"width": 1366, "height": 768})
    box = page.locator(".folium-map").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768
    before = _categories(page)
    page.fill("#distance_m", "3000")
    with page.expect_navigation():
        page.locator("form.planner-choices button[type=submit]").click()
    page.locator("path.leaflet-interactive").first.wait_for()
    assert "distance_m=3000" in page.url
    after = _categories(page)
    assert set(after) == set(before) and after != before
    assert page.locator("#distance_m").input_value() == "3000"
    # The tooltip names the category in words, never its code.
    page.locator("path.leaflet-interactive").nth(5).hover()
    tooltip = page.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    assert "_" not in tooltip.inner_text().split("\n", 4)[-1] or "well_served" not in (
        tooltip.inner_text()
    )
    assert axe_violations(page) == []
    assert visit.elsewhere == [] and visit.errors == []


def test_sorting_the_table_in_the_browser_and_downloading_what_it_shows(
    visit: Visit, demo: None
) -> None:
    page = visit.go("/planner?theme=food")
    within = page.locator('th[data-sort-key="within"] button')
    within.click()
    cells = page.locator("table.planner-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    counts = [int(row[6]) for row in cells]
    assert counts == sorted(counts, reverse=True)
    assert page.locator('th[data-sort-key="within"]').get_attribute("aria-sort") == "descending"
    assert "sort=within" in page.url
    csv_link = page.locator("a.planner-csv")
    assert "sort=within" in (csv_link.get_attribute("href") or "")
    within.click()  # again: the other way round
    assert page.locator('th[data-sort-key="within"]').get_attribute("aria-sort") == "ascending"
    with page.expect_download() as download_info:
        csv_link.click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    shown = page.locator("table.planner-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    lines = list(csv.reader(io.StringIO(text)))
    headings = page.locator("table.planner-table thead th").all_inner_texts()
    assert lines[0] == [h.strip() for h in headings]
    assert lines[1:] == shown
    assert axe_violations(page) == [] and visit.errors == []


@pytest.mark.parametrize("path", ["/planner?theme=food", "/planner?theme=food&print=1"])
def test_the_map_key_and_priority_areas_print_on_one_a4_landscape_page(
    visit: Visit, demo: None, path: str
) -> None:
    page = visit.go(path)
    page.emulate_media(media="print")
    printed = page.locator("main").inner_text()
    # Every print carries its date, its method and its sources with their licences.
    assert "Printed from Community asset map on" in printed
    assert "How this is worked out" in printed and "Licence: CC0 1.0 (invented)" in printed
    whole = page.pdf(prefer_css_page_size=True, print_background=True)
    # Only the first part: everything after the key is left out of this print.
    page.evaluate(
        """() => document.querySelectorAll('.planner-method, .planner-areas, .planner-sources,'
             + ' #gaps-heading, .planner-gaps, #gaps-heading ~ p')
             .forEach(e => { e.style.display = 'none'; })"""
    )
    first = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf_pages(first) <= 2, pdf_pages(first)
    assert pdf_pages(whole) > pdf_pages(first)
