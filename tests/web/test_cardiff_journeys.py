"""Each role's journey on the real Cardiff data (../shared/data/cardiff, loaded as
`assetmap demo --area-dir` loads it), in a real browser, in English and in Welsh.

- a resident finds what is near a real postcode and opens an asset, and finds Cardiff by its
  Welsh name;
- a planner opens the overlay map of WIMD 2019 for health and wellbeing, reads its table, and
  turns on the services layer;
- a connector signs in, adds an asset by looking up a real postcode, and sees it in the patch.
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Area, Asset
from app.services import users
from app.services.demo import load_demo
from tests.web.browser import Visit, axe_violations

PASSWORD = "a long enough password"
POSTCODE = "CF10 1AA"  # central Cardiff
LSOA = "W01001941"  # the LSOA holding CF10 1AA
# Per language: the words a person reads on the way.
WORDS = {
    "": {"search": "Search", "sign_in": "Sign in", "add": "Add an asset", "save": "Save",
         "services": "Services", "authority": "Cardiff", "query": "Cardiff",
         "all_assets": "Community assets: Health and wellbeing"},
    "/cy": {"search": "Chwilio", "sign_in": "Mewngofnodi", "add": "Ychwanegu ased",
            "save": "Cadw", "services": "Gwasanaethau", "authority": "Caerdydd",
            "query": "Caerdydd", "all_assets": "Asedau cymunedol: Iechyd a llesiant"},
}  # fmt: skip


@pytest.fixture
def cardiff(session: Session, cardiff_dir: Path) -> Session:
    result = load_demo(session, area_dir=cardiff_dir)
    assert result.ok, result.steps
    session.commit()
    return session


@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_a_resident_finds_what_is_near_a_cardiff_postcode(
    visit: Visit, cardiff: Session, prefix: str
) -> None:
    words = WORDS[prefix]
    page = visit.go(f"{prefix}/")
    page.locator("#q").fill(POSTCODE.lower())
    page.get_by_role("main").get_by_role("button", name=words["search"], exact=True).click()
    page.wait_for_url(f"**{prefix}/search?**")
    results = page.locator(".results a")
    assert results.count() > 0, "the real assets near CF10 1AA"
    page.locator(".folium-map .leaflet-marker-icon").first.wait_for()
    # The map shows the same results as the list: a marker each, or a numbered stack where
    # markers would overlap.
    single = page.locator(".folium-map img.result-marker").count()
    assert page.locator(".folium-map img.searched-here").count() == 1
    stacked = sum(
        int(n or 0)
        for n in page.locator(".folium-map .live-cluster [data-count]").evaluate_all(
            "els => els.map(e => e.dataset.count)"
        )
    )
    assert single + stacked == results.count()
    assert axe_violations(page) == []
    first = results.first.inner_text().split("\n")[0].strip()
    results.first.click()
    page.wait_for_url(f"**{prefix}/assets/*")
    assert page.locator("h1").inner_text() == first
    assert axe_violations(page) == []

    page = visit.go(f"{prefix}/search?q={words['query']}")
    place = page.get_by_role("link", name=words["authority"], exact=True)
    place.click()
    page.wait_for_url(f"**{prefix}/areas/W06000015")
    assert page.locator("h1").inner_text() == words["authority"]
    assert axe_violations(page) == []
    assert visit.errors == [] and visit.elsewhere == []


@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_a_planner_reads_need_beside_assets_across_cardiff(
    visit: Visit, cardiff: Session, prefix: str
) -> None:
    words = WORDS[prefix]
    lsoas = cardiff.scalar(select(func.count()).select_from(Area).where(Area.level == "lsoa"))
    page = visit.go(
        f"{prefix}/planner?indicator=wimd2019_overall_rank&theme=health_wellbeing&level=lsoa"
    )
    assert page.locator(".planner-table tbody tr").count() == lsoas == 214
    assert axe_violations(page) == []
    page.locator(".leaflet-control-layers").first.hover()
    # The theme's assets of every kind are on from the start: only the services, please.
    overlays = page.locator(".leaflet-control-layers-overlays label")
    overlays.filter(has_text=words["all_assets"]).click()
    overlays.filter(has_text=words["services"]).click()
    page.locator(".live-cluster").first.wait_for()
    shown = sum(int(t) for t in page.locator(".live-cluster").all_inner_texts())
    public_services = cardiff.scalar(
        select(func.count())
        .select_from(Asset)
        .where(Asset.kind == "service", Asset.status == "published")
        .where(Asset.id.in_(_with_theme(cardiff, "health_wellbeing")))
    )
    assert shown == public_services > 0
    assert axe_violations(page) == []
    assert visit.errors == [] and visit.elsewhere == []


def _with_theme(session: Session, theme: str) -> Any:
    from app.models import AssetTheme

    return select(AssetTheme.asset_id).where(AssetTheme.theme_code == theme)


@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_a_connector_adds_an_asset_in_their_cardiff_patch(
    visit: Visit, cardiff: Session, prefix: str
) -> None:
    words = WORDS[prefix]
    users.create_user(cardiff, email="con@example.org", role="connector", actor="test",
                      password=PASSWORD, patch=[LSOA])  # fmt: skip
    cardiff.commit()
    page = visit.go(f"{prefix}/sign-in?next={prefix}/connector")
    page.locator("#email").fill("con@example.org")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(f"**{prefix}/connector")
    page.get_by_role("main").get_by_role("link", name=words["add"]).first.click()
    page.wait_for_url(f"**{prefix}/connector/assets/new")
    page.locator("#name_en").fill("Central library drop-in")
    page.locator("#kind-group").check()
    page.locator("#postcode").fill(POSTCODE)
    page.locator("#postcode-lookup").click()
    expect(page.locator("#location-status")).not_to_be_empty()
    assert axe_violations(page) == []
    page.get_by_role("button", name=words["save"], exact=True).click()
    page.wait_for_url(f"**{prefix}/connector?done=added")
    assert "Central library drop-in" in page.locator(".patch-assets").inner_text()
    saved = cardiff.scalars(select(Asset).where(Asset.name_en == "Central library drop-in")).one()
    assert saved.postcode == POSTCODE
    assert visit.errors == [] and visit.elsewhere == []
