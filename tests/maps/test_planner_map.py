"""The planner's maps from plain data: small outlines, deciles and categories, text as data,
layers under a layer control, deficits without reporters, and a static SVG for print."""

import json
import re

import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from app.maps.base import Basemap, page_parts
from app.maps.planner import (
    CATEGORY_COLOURS,
    DECILE_COLOURS,
    AreaShade,
    GapPin,
    LayerNames,
    build_area_map,
    build_planner_map,
    decile_colour,
    small_geometry,
    static_map_svg,
)
from tests.maps.islands import island

HOSTILE = "<img src=x onerror=alert(1)> ${alert(2)} `hall`"
NAMES = LayerNames(
    label="Map of need",
    need="Need: WIMD",
    gaps="Gap categories: Food",
    deficits="Reported gaps: Food",
    details={"name": "Area", "code": "Code", "decile": "Need decile", "people": "People"},
)


def _shade(code: str, x: float, decile: int | None, category: str | None, name: str) -> AreaShade:
    details = {"name": name, "code": code, "decile": str(decile), "people": "fewer than 5"}
    return AreaShade(code, MultiPolygon([box(x, 51.4, x + 0.1, 51.5)]), decile, category, details)


def _data(areas: list[AreaShade], pins: list[GapPin]) -> dict:
    m = build_planner_map(
        areas,
        pins,
        Basemap(),
        names=NAMES,
        lang="en",
        theme="food",
        asset_layers=[("group", "Groups: Food"), ("space", "Spaces: Food")],
    )
    return island(page_parts(m))


def test_ten_deciles_run_from_dark_most_need_to_light_least_need() -> None:
    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert len(DECILE_COLOURS) == 10 and len(set(DECILE_COLOURS)) == 10
    # WIMD's way round: decile 1 is the most need, drawn darkest.
    steps = [luminance(decile_colour(d)) for d in range(1, 11)]
    assert steps == sorted(steps)
    assert decile_colour(None) not in DECILE_COLOURS


def test_outlines_are_simplified_and_rounded_to_five_decimals() -> None:
    wiggly = Polygon(
        [(-3.2 + i * 0.00001, 51.5 + (i % 2) * 0.000001) for i in range(1000)]
        + [(-3.19, 51.4), (-3.2, 51.4)]
    )
    small = small_geometry(MultiPolygon([wiggly]))
    coords = shapely.get_coordinates(shapely.geometry.shape(small))
    assert len(coords) < 20
    text = json.dumps(small)
    assert not re.search(r"\d\.\d{6,}", text)


def test_the_planner_map_has_its_layers_under_a_layer_control() -> None:
    areas = [
        _shade("W01", -3.3, 10, "priority", "Splott"),
        _shade("W02", -3.2, 1, "low_need", "Roath"),
    ]
    data = _data(areas, [])
    assert data["layerControl"] is True
    layers = data["layers"]
    assert [layer["type"] for layer in layers] == ["areas", "categories", "pins", "live", "live"]
    assert [layer["name"] for layer in layers] == [
        "Need: WIMD", "Gap categories: Food", "Reported gaps: Food", "Groups: Food",
        "Spaces: Food",
    ]  # fmt: skip
    # The gap layer copies the need layer's outlines in the browser: the page carries them once.
    assert json.dumps(data).count('"coordinates"') == 2
    assert layers[1]["source"] == layers[0]["id"] and "data" not in layers[1]
    for category in ("priority", "low_need"):
        assert layers[1]["styles"][category]["fillColor"] == f"url(#planner-gap-{category})"
    assert (
        layers[0]["fills"][10] == DECILE_COLOURS[9] and layers[0]["fills"][1] == DECILE_COLOURS[0]
    )
    shades = [f["properties"]["shade"] for f in layers[0]["data"]["features"]]
    assert shades == [10, 1]
    assert layers[3]["config"]["themes"] == ["food"] and layers[3]["config"]["kinds"] == ["group"]
    assert layers[3]["show"] is False


def test_tooltips_show_the_category_in_words_and_the_pattern_follows_its_code() -> None:
    shade = _shade("W01", -3.3, 1, "well_served", "Splott")
    words = AreaShade(shade.code, shade.geometry, 1, "well_served",
                      {**shade.details, "category": "Well served"})  # fmt: skip
    (feature,) = _data([words], [])["layers"][0]["data"]["features"]
    assert feature["properties"]["category"] == "Well served"
    assert feature["properties"]["gap"] == "well_served"


def test_the_area_map_can_show_the_assets_near_it() -> None:
    area = _shade("W01", -3.3, None, None, "Splott")
    m = build_area_map(area, [], Basemap(), names=NAMES, assets_layer="Community assets nearby")
    *_, assets = island(page_parts(m))["layers"]
    assert assets["type"] == "live" and assets["show"] is True
    assert assets["name"] == "Community assets nearby" and m.layer_control is True


def test_the_assets_of_the_theme_are_on_from_the_start_in_one_layer() -> None:
    areas = [_shade("W01", -3.3, 1, "priority", "Splott")]
    m = build_planner_map(
        areas, [], Basemap(), names=NAMES, lang="en", theme="food",
        asset_layers=[("group", "Groups: Food")], all_assets=("Assets: Food", ["group", "space"]),
    )  # fmt: skip
    live = [layer for layer in island(page_parts(m))["layers"] if layer["type"] == "live"]
    assert [(x["name"], x["show"]) for x in live] == [("Assets: Food", True),
                                                      ("Groups: Food", False)]  # fmt: skip
    assert live[0]["config"]["kinds"] == ["group", "space"]
    assert live[0]["config"]["themes"] == ["food"]


def test_area_details_reach_the_map_as_data_exactly() -> None:
    data = _data([_shade("W01", -3.3, 5, "strength", HOSTILE)], [])
    need = data["layers"][0]
    (feature,) = need["data"]["features"]
    assert feature["properties"]["name"] == HOSTILE  # the browser sets it as text
    assert feature["properties"]["people"] == "fewer than 5"
    assert need["fields"] == ["name", "code", "decile", "people"]
    assert need["labels"] == ["Area", "Code", "Need decile", "People"]


def test_reported_gaps_are_markers_named_by_their_title() -> None:
    pins = [GapPin(HOSTILE, -3.25, 51.45, "en"), GapPin("No bus after 7pm", -3.15, 51.45, "en")]
    layer = _data([_shade("W01", -3.3, 5, None, "Splott")], pins)["layers"][2]
    assert [p["title"] for p in layer["pins"]] == [HOSTILE, "No bus after 7pm"]
    assert layer["icon"]["url"] == "/static/img/planner-deficit.svg"
    assert set(layer["pins"][0]) == {"title", "lat", "lon", "lang"}  # never who reported it


def test_the_area_map_shows_the_outline_and_its_gaps() -> None:
    area = _shade("W01", -3.3, None, None, "Splott")
    m = build_area_map(area, [GapPin("No bus", -3.25, 51.45, "en")], Basemap(), names=NAMES)
    parts = page_parts(m)
    assert 'aria-label="Map of need"' in parts.html
    outline, gaps = island(parts)["layers"]
    assert outline["type"] == "areas" and outline["fills"] is None
    assert gaps["type"] == "pins" and gaps["name"] is None and len(gaps["pins"]) == 1
    assert "https://" not in parts.head


def test_the_static_map_is_an_svg_with_escaped_titles_and_patterns() -> None:
    areas = [
        _shade("W01", -3.3, 10, "priority", HOSTILE),
        _shade("W02", -3.2, 2, "well_served", "Roath"),
    ]
    svg = static_map_svg(areas, [GapPin("Gap <b>", -3.25, 51.45, "en")], label="Need & assets")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img" aria-label="Need &amp; assets"' in svg
    assert "<img" not in svg and "&lt;img src=x" in svg and "<title>Gap &lt;b&gt;</title>" in svg
    assert DECILE_COLOURS[9] in svg and DECILE_COLOURS[1] in svg
    assert "url(#planner-gap-priority)" in svg and CATEGORY_COLOURS["well_served"] in svg
    assert "<script" not in svg
    assert static_map_svg([], [], label="x") == ""
