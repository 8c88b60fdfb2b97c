"""An asset's page (no browser): every detail in both languages, a map after its address,
and nothing at all for what is not public (a person, a pending asset, a missing one)."""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN
from tests.maps.islands import page_island

AddAssets = Callable[..., list[int]]

HOURS = [
    {"day": "sat", "opens": "10:00", "closes": "12:00"},
    {"day": "mon", "opens": "14:00", "closes": "16:00"},
    {"day": "mon", "opens": "09:00", "closes": "12:30"},
]
FULL: dict[str, Any] = {
    "kind": "space",
    "name_en": "Splott community hall",
    "name_cy": "Neuadd gymunedol Sblot",
    "description_en": "A hall for hire.\nTea on Fridays.",
    "themes": ["older_people", "food"],
    "address": "1 Splott Road, Cardiff",
    "postcode": "CF24 2AA",
    "email": "hall@example.org",
    "phone": "029 2000 0000",
    "website": "https://hall.example.org/",
    "opening_hours": HOURS,
    "accessibility": ["step_free_access", "hearing_loop"],
    "languages": ["cy", "en", "bfi"],
    "last_verified_at": datetime(2024, 3, 4, 10, 0, tzinfo=UTC),
}


def _one(pattern: str, html: str) -> str:
    found = re.findall(pattern, html, re.S)
    assert len(found) == 1, (pattern, found)
    return found[0]


def text_of(html: str) -> str:
    """The page's text with tags and runs of whitespace made single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_asset_page_shows_every_detail_in_english(
    client: TestClient, add_assets: AddAssets
) -> None:
    (asset_id,) = add_assets(FULL)
    response = client.get(f"/assets/{asset_id}")
    assert response.status_code == 200
    html = response.text
    assert _one(r"<title>(.*?)</title>", html).startswith("Splott community hall \u2013 ")
    assert _one(r"<h1[^>]*>(.*?)</h1>", html) == "Splott community hall"
    text = text_of(html)
    assert "Space" in text and "Themes: Food, Older people" in text
    assert "<p>A hall for hire.</p><p>Tea on Fridays.</p>" in html
    assert "1 Splott Road, Cardiff CF24 2AA" in text
    rows = re.findall(r'<tr><th scope="row">(\w+)</th><td>(.*?)</td></tr>', html)
    assert [(day, text_of(cell)) for day, cell in rows] == [
        ("Monday", "09:00 to 12:30 14:00 to 16:00"),
        ("Saturday", "10:00 to 12:00"),
    ]
    assert "<li>Step-free access</li>" in html and "<li>Hearing loop</li>" in html
    assert re.findall(r'<ul class="languages">(.*?)</ul>', html, re.S)[0].split() == [
        "<li>Welsh</li><li>English</li><li>British",
        "Sign",
        "Language</li>",
    ]
    assert "Welsh active offer:" in text
    assert '<a href="mailto:hall@example.org">hall@example.org</a>' in html
    assert '<a href="tel:02920000000">029 2000 0000</a>' in html
    assert (
        '<a href="https://hall.example.org/" rel="noopener">https://hall.example.org/</a>' in html
    )
    assert "Last checked on 4 March 2024." in text
    assert f'<a href="/assets/{asset_id}/report">Report a problem with this</a>' in html
    assert '<a href="/search">Back to search</a>' in html


def test_the_asset_page_in_welsh(client: TestClient, add_assets: AddAssets) -> None:
    (asset_id,) = add_assets(FULL)
    html = client.get(f"/cy/assets/{asset_id}").text
    assert _one(r"<html lang=\"(\w+)\">", html) == "cy"
    assert _one(r"<title>(.*?)</title>", html).startswith("Neuadd gymunedol Sblot \u2013 ")
    assert _one(r"<h1[^>]*>(.*?)</h1>", html) == "Neuadd gymunedol Sblot"
    text = text_of(html)
    assert "Lle" in text and "Themâu: Bwyd, Pobl hŷn" in text
    days = re.findall(r'<tr><th scope="row">(.*?)</th>', html)
    assert days == ["Dydd Llun", "Dydd Sadwrn"]
    assert "09:00 i 12:30" in text
    assert "<li>Mynediad heb risiau</li>" in html and "<li>Dolen sain</li>" in html
    assert "<li>Cymraeg</li><li>Saesneg</li><li>Iaith Arwyddion Prydain</li>" in html
    assert "Cynnig Rhagweithiol:" in text
    assert "Gwiriwyd ddiwethaf ar 4 Mawrth 2024." in text
    assert f'<a href="/cy/assets/{asset_id}/report">Rhoi gwybod am broblem gyda hyn</a>' in html
    assert '<a href="/cy/search">Yn ôl i’r chwiliad</a>' in html  # noqa: RUF001
    # The description exists only in English: shown, marked as English.
    assert '<div class="asset-description" lang="en">' in html
    assert '<p class="fallback">(yn Saesneg)</p>' in html


def test_a_name_only_in_english_is_marked_on_the_welsh_page(
    client: TestClient, add_assets: AddAssets
) -> None:
    (asset_id,) = add_assets({"name_en": "Tremorfa allotments"})
    html = client.get(f"/cy/assets/{asset_id}").text
    assert _one(r"<h1([^>]*)>Tremorfa allotments</h1>", html) == ' id="asset-name" lang="en"'
    assert "(yn Saesneg)" in html
    text = text_of(html)
    for empty in ("Dim oriau agor", "Dim gwybodaeth am hygyrchedd", "Dim manylion cyswllt"):
        assert empty in text
    assert "Heb ei wirio eto" in text and "Cynnig Rhagweithiol" not in text


def test_the_map_has_one_marker_after_the_address(
    client: TestClient, add_assets: AddAssets
) -> None:
    (asset_id,) = add_assets({**FULL, "lon": -3.15, "lat": 51.47})
    html = client.get(f"/assets/{asset_id}").text
    assert html.index('class="asset-address"') < html.index('class="folium-map"')
    (markers,) = page_island(html)["layers"]
    assert [(p["name"], p["lat"], p["lon"]) for p in markers["pins"]] == [
        ("Splott community hall", 51.47, -3.15)
    ]
    assert 'aria-label="Map showing where Splott community hall is"' in html


def test_what_a_resident_typed_is_escaped_and_only_web_addresses_are_linked(
    client: TestClient, add_assets: AddAssets
) -> None:
    (asset_id,) = add_assets(
        {
            "name_en": "<script>alert(1)</script> hall",
            "description_en": "<b>bold</b>",
            "website": "javascript:alert(1)",
            "phone": "<i>",
        }
    )
    html = client.get(f"/assets/{asset_id}").text
    assert "<script>alert(1)" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hall" in html
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html
    assert 'href="tel:' not in html


@pytest.mark.parametrize("headers", [{}, ADMIN], ids=["anonymous", "admin"])
def test_anything_but_a_published_asset_is_not_found_alike(
    client: TestClient, add_assets: AddAssets, headers: dict[str, str]
) -> None:
    public, person, volunteer, pending, archived = add_assets(
        {"name_en": "Public hall"},
        {"name_en": "Gwen Jones", "kind": "skill", "email": "gwen@example.org"},
        {"name_en": "Dai Evans", "kind": "volunteer"},
        {"name_en": "Pending hall", "status": "pending"},
        {"name_en": "Archived hall", "status": "archived"},
    )
    assert client.get(f"/assets/{public}", headers=headers).status_code == 200
    missing = public + 1000

    def shown(asset_id: int | str, prefix: str = "") -> tuple[int, str]:
        response = client.get(f"{prefix}/assets/{asset_id}", headers=headers)
        return response.status_code, response.text.replace(f"/assets/{asset_id}", "/assets/ID")

    for prefix in ("", "/cy"):
        expected = shown(missing, prefix)
        assert expected[0] == 404
        for hidden in (person, volunteer, pending, archived):
            assert shown(hidden, prefix) == expected
    for odd in ("abc", "1.5", "-1", "0", str(2**31), "9" * 30, "\u0661"):
        assert client.get(f"/assets/{odd}", headers=headers).status_code == 404, odd
