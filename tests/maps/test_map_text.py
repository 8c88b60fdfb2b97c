"""Text on maps is shown exactly as typed and never runs: the escaping helper and its builders."""

import html
import json

import folium
import pytest

from app.maps.assets import AssetPin, build_assets_map
from app.maps.base import Basemap, new_map, page_parts
from app.maps.text import escaped_features, geojson_layer, map_text, popup, tooltip

PAYLOAD = "<img src=x onerror=alert(1)> ${alert(2)} `tick` \\ & \"q\" 'a'"


def _script(element: folium.MacroElement) -> str:
    m = new_map(Basemap(), label="test")
    marker = folium.Marker([51.48, -3.17]).add_to(m)
    marker.add_child(element)
    return page_parts(m).script


def test_map_text_escapes_html_and_template_literal_characters() -> None:
    text = map_text(PAYLOAD)
    for raw in ("<", ">", "`", "$", "\\", '"', "'"):
        assert raw not in text
    assert text.startswith(
        "&lt;img src=x onerror=alert(1)&gt; &#36;&#123;alert(2)&#125; &#96;tick&#96; &#92;"
    )


def test_map_text_accepts_any_value() -> None:
    assert map_text(None) == "None"
    assert map_text(3.5) == "3.5"


def test_a_tooltip_holds_only_escaped_text() -> None:
    script = _script(tooltip(PAYLOAD))
    assert "&lt;img src=x onerror=alert(1)&gt; &#36;&#123;alert(2)&#125; &#96;tick&#96;" in script
    assert "${alert" not in script and "<img" not in script


def test_a_popup_holds_only_escaped_text_and_needs_no_jquery() -> None:
    script = _script(popup(PAYLOAD, lines=["line ${x}"], link=("/assets/1", "More `x`"), lang="cy"))
    assert "${" not in script.replace("${alert", "") and "${x}" not in script
    assert '<div lang="cy"><strong>&lt;img' in script
    assert '<a href="/assets/1">More &#96;x&#96;</a>' in script
    assert "$(" not in script  # folium's own Popup wraps its content in jQuery


@pytest.mark.parametrize(
    "href", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_popup_links_stay_on_this_site(href: str) -> None:
    with pytest.raises(ValueError, match="this site only"):
        popup("A", link=(href, "go"))


def test_geojson_properties_shown_are_escaped_and_others_untouched() -> None:
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-3.17, 51.48]},
                "properties": {"name": PAYLOAD, "count": 7, "note": None, "code": "<kept>"},
            }
        ],
    }
    escaped = escaped_features(data, ["name", "count", "note"])
    properties = escaped["features"][0]["properties"]
    assert properties == {"name": map_text(PAYLOAD), "count": "7", "note": None, "code": "<kept>"}
    assert data["features"][0]["properties"]["name"] == PAYLOAD  # the input is not changed


def test_geojson_layer_escapes_fields_and_aliases() -> None:
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-3.17, 51.48]},
                "properties": {"name": PAYLOAD},
            }
        ],
    }
    m = new_map(Basemap(), label="test")
    geojson_layer(data, fields=["name"], aliases=["<b>Name</b>"], details="popup").add_to(m)
    script = page_parts(m).script
    # tojson writes & as \u0026; what reaches innerHTML at run time is "&lt;img", inert.
    assert "<img" not in script and "\\u003cimg" not in script
    assert "\\u0026lt;img src=x" in script
    assert '["\\u0026lt;b\\u0026gt;Name\\u0026lt;/b\\u0026gt;"]' in script
    with pytest.raises(ValueError, match="tooltip"):
        geojson_layer(data, fields=["name"], aliases=["Name"], details="sidebar")


# branca renders each element's output a second time as a Jinja template: none may run.
TEMPLATE_TAGS = ["{{ 7*7 }} club", "{% if 1 %}choir{% endif %}", "{# gone #} hall", "{{7*'7'}}"]


@pytest.mark.parametrize("name", TEMPLATE_TAGS)
def test_template_tags_in_names_are_never_evaluated(name: str) -> None:
    pins = [AssetPin(name, -3.1, 51.4, "en", "/assets/1", name)]
    script = page_parts(
        build_assets_map(pins, Basemap(), label="Map", stack_label="Places here")
    ).script
    for evaluated in ("49 club", "7777777", "<strong>choir</strong>", "<strong> hall</strong>"):
        assert evaluated not in script
    alt = script.split("{alt: ", 1)[1].split("})", 1)[0]
    assert json.loads(alt) == name  # the marker's alt text, exactly as given
    shown = map_text(name)
    assert "{" not in shown and "}" not in shown
    assert html.unescape(shown) == name
    assert f"<strong>{shown}</strong>" in script  # the popup's title
