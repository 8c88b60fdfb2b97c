"""The planner's maps from plain data: small outlines, deciles and categories, escaped text,
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


def _script(areas: list[AreaShade], pins: list[GapPin]) -> str:
    m = build_planner_map(
        areas,
        pins,
        Basemap(),
        names=NAMES,
        lang="en",
        theme="food",
        asset_layers=[("group", "Groups: Food"), ("space", "Spaces: Food")],
    )
    return page_parts(m).script


def test_ten_deciles_run_from_light_least_need_to_dark_most_need() -> None:
    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert len(DECILE_COLOURS) == 10 and len(set(DECILE_COLOURS)) == 10
    steps = [luminance(decile_colour(d)) for d in range(1, 11)]
    assert steps == sorted(steps, reverse=True)
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
    script = _script(areas, [])
    assert "L.control.layers(" in script
    for name in ["Need: WIMD", "Gap categories: Food", "Reported gaps: Food", "Groups: Food",
                 "Spaces: Food"]:  # fmt: skip
        assert json.dumps(name) + " :" in script
    # The gap layer copies the need layer's outlines in the browser: the page carries them once.
    assert script.count('"coordinates"') == 2
    assert "toGeoJSON()" in script and "interactive: false" in script
    for category in ("priority", "low_need"):
        assert f"url(#planner-gap-{category})" in script
    assert DECILE_COLOURS[9] in script and DECILE_COLOURS[0] in script
    assert '"themes": ["food"]' in script and '"kinds": ["group"]' in script


def test_area_names_reach_the_map_escaped() -> None:
    script = _script([_shade("W01", -3.3, 5, "strength", HOSTILE)], [])
    assert "<img" not in script and "${alert" not in script and "`hall`" not in script
    # HTML-escaped with $ and ` as references, then JSON with & as \u0026 (Jinja's tojson).
    escaped = "&lt;img src=x onerror=alert(1)&gt; &#36;&#123;alert(2)&#125; &#96;hall&#96;"
    assert json.dumps(escaped).replace("&", "\\u0026") in script
    assert "fewer than 5" in script


def test_reported_gaps_are_markers_named_by_their_title() -> None:
    pins = [GapPin(HOSTILE, -3.25, 51.45, "en"), GapPin("No bus after 7pm", -3.15, 51.45, "en")]
    script = _script([_shade("W01", -3.3, 5, None, "Splott")], pins)
    assert script.count("L.marker(") == 2
    assert '{alt: "No bus after 7pm"}' in script
    assert "/static/img/planner-deficit.svg" in script
    assert "<img src=x" not in script


def test_the_area_map_shows_the_outline_and_its_gaps() -> None:
    area = _shade("W01", -3.3, None, None, "Splott")
    m = build_area_map(area, [GapPin("No bus", -3.25, 51.45, "en")], Basemap(), names=NAMES)
    parts = page_parts(m)
    assert 'aria-label="Map of need"' in parts.html
    assert parts.script.count("L.marker(") == 1 and '"coordinates"' in parts.script
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
