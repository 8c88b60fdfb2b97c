"""Maps load Leaflet from this server only, fit into the page shell, and need no basemap."""

import re

import folium
import pytest
from pydantic import ValidationError

from app.maps.assets import AssetPin, build_assets_map
from app.maps.base import Basemap, OfflineMap, OfflineMarkerCluster, new_map, page_parts
from app.settings import Settings

URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def _urls(html: str) -> list[str]:
    return URL.findall(html)


def test_a_map_loads_only_leaflet_from_this_server() -> None:
    parts = page_parts(new_map(Basemap(), label="Map"))
    assert sorted(_urls(parts.head)) == [
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/leaflet.js",
    ]
    everything = parts.head + parts.html + parts.script
    assert "http://" not in everything and "https://" not in everything
    assert "jquery" not in everything.lower() and "$(" not in parts.script


def test_a_map_leaves_the_page_to_the_shell() -> None:
    parts = page_parts(new_map(Basemap(), label="Map of results"))
    assert "viewport" not in parts.head  # folium's forbids zooming the page
    assert "<meta" not in parts.head and "html, body" not in parts.head
    assert 'role="region" aria-label="Map of results"' in parts.html


def test_without_a_basemap_there_is_no_tile_layer() -> None:
    parts = page_parts(new_map(Basemap(), label="Map"))
    assert "tileLayer" not in parts.script


def test_the_basemap_comes_from_the_settings() -> None:
    settings = Settings(
        basemap_tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
        basemap_attribution="&copy; Example",
    )
    parts = page_parts(new_map(Basemap.from_settings(settings), label="Map"))
    assert "L.tileLayer" in parts.script
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in parts.script
    assert "\\u0026copy; Example" in parts.script


def test_a_blank_basemap_setting_means_none() -> None:
    assert Basemap.from_settings(Settings(basemap_tile_url="  ")) == Basemap(None, None)


def test_marker_clusters_load_from_this_server() -> None:
    m = new_map(Basemap(), label="Map")
    OfflineMarkerCluster().add_to(m)
    urls = _urls(page_parts(m).head)
    assert all(u.startswith("/static/vendor/") for u in urls)
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in urls


def test_adding_a_link_to_one_map_leaves_others_alone() -> None:
    first = new_map(Basemap(), label="Map")
    first.add_js_link("extra", "/static/vendor/extra.js")
    assert "/static/vendor/extra.js" not in page_parts(new_map(Basemap(), label="Map")).head
    assert OfflineMap.default_js == [("leaflet", "/static/vendor/leaflet/leaflet.js")]


def test_an_assets_map_has_a_named_marker_per_pin_and_fits_them() -> None:
    pins = [AssetPin("Hall", -3.2, 51.4, "en"), AssetPin("Neuadd", -3.1, 51.5, "cy")]
    script = page_parts(
        build_assets_map(pins, Basemap(), label="Map", stack_label="Places here")
    ).script
    assert script.count("L.marker(") == 2
    assert '{alt: "Hall"}' in script and '{alt: "Neuadd"}' in script
    assert "[[51.4, -3.2], [51.5, -3.1]]" in script  # fitBounds


def test_folium_defaults_are_not_changed_for_other_maps() -> None:
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_a_tile_url_needs_an_attribution_and_a_known_scheme() -> None:
    with pytest.raises(ValidationError, match="ASSETMAP_BASEMAP_ATTRIBUTION is needed"):
        Settings(basemap_tile_url="https://tiles.example.org/{z}/{x}/{y}.png")
    with pytest.raises(ValidationError, match="tile URL"):
        Settings(
            basemap_tile_url="ftp://tiles.example.org/{z}/{x}/{y}.png", basemap_attribution="x"
        )
    local = Settings(basemap_tile_url="/tiles/{z}/{x}/{y}.png", basemap_attribution="x")
    assert local.basemap_tile_url == "/tiles/{z}/{x}/{y}.png"
