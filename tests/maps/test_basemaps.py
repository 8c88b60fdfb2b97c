"""The basemap is a setting (ASSETMAP_BASEMAP): OpenStreetMap by default, none offline (what the
tests use), or a tile server's URL template with its credit; the pages' policy allows exactly
its tile host."""

import pytest
from pydantic import ValidationError

from app.http.security import content_security_policy
from app.maps.base import Basemap, new_map, page_parts
from app.settings import OSM_TILES, Settings
from tests.maps.islands import island

NO_DB = "sqlite:///:memory:"
COUNCIL = "https://tiles.council.example/{z}/{x}/{y}.png"


def _settings(**values: str) -> Settings:
    return Settings(database_url=NO_DB, **values)


def img_src(settings: Settings) -> list[str]:
    """The pages' img-src sources."""
    policy = content_security_policy(settings, "text/html; charset=utf-8")
    (directive,) = [d for d in policy.split("; ") if d.startswith("img-src ")]
    return directive.split()[1:]


def test_the_default_is_openstreetmap_with_its_credit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSETMAP_BASEMAP")  # tests/conftest.py sets none for every test
    settings = _settings()
    assert settings.basemap == "osm"
    data = island(page_parts(new_map(Basemap.from_settings(settings), label="Map")))
    assert data["basemap"] == {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attribution": "© OpenStreetMap contributors",
        "attributionUrl": "https://www.openstreetmap.org/copyright",
    }


def test_the_tests_run_without_a_basemap() -> None:
    assert _settings().basemap == "none"
    assert Basemap.from_settings(_settings()) == Basemap(None, None, None)
    data = island(page_parts(new_map(Basemap.from_settings(_settings()), label="M")))
    assert data["basemap"] is None


@pytest.mark.parametrize(("value", "read"), [("OSM", "osm"), (" none ", "none"), ("", "none")])
def test_the_names_are_read_in_any_case_and_blank_is_none(value: str, read: str) -> None:
    assert _settings(basemap=value).basemap == read


def test_a_tile_server_comes_with_its_credit_as_text_and_link() -> None:
    settings = _settings(
        basemap=COUNCIL,
        basemap_attribution="&copy; Cardiff Council",
        basemap_attribution_url="https://council.example/terms",
    )
    assert Basemap.from_settings(settings) == Basemap(
        COUNCIL, "© Cardiff Council", "https://council.example/terms"
    )


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("http://tiles.example.org/{z}/{x}/{y}.png", "https://"),
        ("tiles.example.org/{z}/{x}/{y}.png", "https://"),
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", "https://"),
        ("https://tiles.example.org/{z}/{x}.png", "lacks {y}"),
        ("https://tiles.example.org/{x}/{y}.png", "lacks {z}"),
        ("https://tiles.example.org/tiles.png", "lacks {z} {x} {y}"),
        ("https://tiles.example.org/{z}/{x}/{y}.png?key={apikey}", "{apikey}"),
        ("https://user:pw@tiles.example.org/{z}/{x}/{y}.png", "user@"),
        ('https://tiles.example.org/{z}/{x}/{y}.png"onerror=x', "quotes"),
        ("https://tiles.example.org;script-src/{z}/{x}/{y}.png", "host"),
        ("osmm", "use osm, none, or a tile URL"),
    ],
)
def test_a_bad_tile_template_is_a_clear_error(template: str, why: str) -> None:
    with pytest.raises(ValidationError, match="basemap") as raised:
        _settings(basemap=template, basemap_attribution="x")
    assert why in str(raised.value)


def test_a_tile_server_needs_a_credit() -> None:
    with pytest.raises(ValidationError, match="ASSETMAP_BASEMAP_ATTRIBUTION is needed"):
        _settings(basemap=COUNCIL)


@pytest.mark.parametrize("credit", ['<a href="x">Council</a>', "Council<script>"])
def test_the_credit_is_text_not_html(credit: str) -> None:
    with pytest.raises(ValidationError, match="plain text"):
        _settings(basemap=COUNCIL, basemap_attribution=credit)


@pytest.mark.parametrize("link", ["javascript:alert(1)", "http://council.example", "//x"])
def test_the_credit_links_to_an_https_page_only(link: str) -> None:
    with pytest.raises(ValidationError, match="https://"):
        _settings(basemap=COUNCIL, basemap_attribution="x", basemap_attribution_url=link)


def test_other_subdomain_and_tms_templates_are_fine() -> None:
    for template in (
        "https://{s}.tiles.example.org/{z}/{x}/{y}{r}.png",
        "https://tiles.example.org:8443/{z}/{x}/{-y}.png?key=abc",
        "/tiles/{z}/{x}/{y}.png",
    ):
        assert _settings(basemap=template, basemap_attribution="x").basemap_tiles == template


@pytest.mark.parametrize(
    ("values", "hosts"),
    [
        ({"basemap": "osm"}, ["https://tile.openstreetmap.org"]),
        ({"basemap": "none"}, []),
        ({"basemap": COUNCIL, "basemap_attribution": "x"}, ["https://tiles.council.example"]),
        (
            {"basemap": "https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png",
             "basemap_attribution": "x"},
            ["https://*.tiles.example.org:8443"],
        ),
        ({"basemap": "/tiles/{z}/{x}/{y}.png", "basemap_attribution": "x"}, []),
    ],
)  # fmt: skip
def test_the_policy_allows_exactly_the_tile_host(values: dict[str, str], hosts: list[str]) -> None:
    settings = _settings(**values)
    assert img_src(settings) == ["'self'", "data:", *hosts]
    policy = content_security_policy(settings, "text/html")
    # The tile host is an image source and nothing else; no other host appears at all.
    others = policy.replace(f"img-src {' '.join(img_src(settings))}", "")
    assert "https:" not in others and "http:" not in others
    assert OSM_TILES not in policy


def test_the_old_tile_url_setting_says_it_was_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ignoring it would swap a council's own tiles for OpenStreetMap's without a word.
    monkeypatch.setenv("ASSETMAP_BASEMAP_TILE_URL", COUNCIL)
    with pytest.raises(ValidationError, match="renamed: set ASSETMAP_BASEMAP"):
        _settings()
