"""Maps load Leaflet from this server only, fit into the page shell, and need no basemap."""

import re

import pytest

from app.maps.assets import AssetPin, build_assets_map
from app.maps.base import Basemap, DataMap, new_map, page_parts
from app.maps.live import live_assets_layer
from tests.maps.islands import island

URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def _urls(html: str) -> list[str]:
    return URL.findall(html)


def test_a_map_loads_only_leaflet_and_the_map_script_from_this_server() -> None:
    parts = page_parts(new_map(Basemap(), label="Map"))
    assert _urls(parts.head) == [
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/leaflet.js",
        "/static/js/maps.js",
    ]
    everything = parts.head + parts.html
    assert "http://" not in everything and "https://" not in everything
    assert "jquery" not in everything.lower()


def test_a_map_is_an_element_and_its_data_and_no_script_that_runs() -> None:
    parts = page_parts(new_map(Basemap(), label="Map of results"))
    assert "<meta" not in parts.head and "viewport" not in parts.head
    assert 'role="region" aria-label="Map of results" data-map-data="map-data"' in parts.html
    # The only <script> in the element part is data, which browsers do not run.
    assert parts.html.count("<script") == 1 and '<script type="application/json"' in parts.html
    assert island(parts)["layers"] == []


def test_without_a_basemap_there_is_no_tile_layer() -> None:
    assert island(page_parts(new_map(Basemap(), label="Map")))["basemap"] is None


def test_marker_stacks_and_live_layers_load_their_scripts_from_this_server() -> None:
    pins = [AssetPin("Hall", -3.2, 51.4, "en")]
    urls = _urls(page_parts(build_assets_map(pins, Basemap(), label="M", stack_label="S")).head)
    assert all(u.startswith(("/static/vendor/", "/static/js/", "/static/css/")) for u in urls)
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in urls
    assert urls[-1] == "/static/js/maps.js"  # after Leaflet and the plugins it uses
    m = new_map(Basemap(), label="Map")
    m.add(live_assets_layer(name="Assets", lang="en"))
    urls = _urls(page_parts(m).head)
    assert "/static/js/live-layer.js" in urls and "/static/css/live-layer.css" in urls
    assert urls.index("/static/js/live-layer.js") < urls.index("/static/js/maps.js")


def test_one_maps_layers_leave_others_alone() -> None:
    first = new_map(Basemap(), label="Map")
    first.add(live_assets_layer(name="Assets", lang="en"))
    assert island(page_parts(new_map(Basemap(), label="Map")))["layers"] == []
    assert DataMap(label="x", basemap=Basemap()).layers == []


def test_an_assets_map_has_a_named_marker_per_pin_and_fits_them() -> None:
    pins = [AssetPin("Hall", -3.2, 51.4, "en"), AssetPin("Neuadd", -3.1, 51.5, "cy")]
    data = island(
        page_parts(build_assets_map(pins, Basemap(), label="Map", stack_label="Places here"))
    )
    (layer,) = data["layers"]
    assert layer["type"] == "markers" and layer["stackLabel"] == "Places here"
    assert [(p["name"], p["lang"]) for p in layer["pins"]] == [("Hall", "en"), ("Neuadd", "cy")]
    assert data["bounds"] == [[51.4, -3.2], [51.5, -3.1]]


def test_the_controls_are_named_in_the_pages_language() -> None:
    words = island(page_parts(new_map(Basemap(), label="Map", lang="cy")))["words"]
    assert set(words) == {"zoomIn", "zoomOut", "layers"}
    assert words["zoomIn"] != "Zoom in"


@pytest.mark.parametrize("href", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_popup_links_stay_on_this_site(href: str) -> None:
    with pytest.raises(ValueError, match="this site only"):
        build_assets_map([AssetPin("Hall", 0, 0, "en", href, "See")], Basemap(), label="M",
                         stack_label="S")  # fmt: skip
