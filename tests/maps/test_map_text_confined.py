"""No stored text reaches a template engine: maps are data, drawn in the browser (DESIGN §4.5).

folium/branca rendered every map element's script, then rendered the output again as a Jinja
template, so `{{ ... }}` in an area code ran Python on the server. Now:
1. nothing in app/ imports folium or branca, or compiles a template from a string (page
   templates are files, rendered once, with data passed as values);
2. every map builder, given a payload in every text field (codes, names, details, labels,
   layer names, link text), puts it on the page only inside the map's JSON data island,
   escaped for a <script> element and read back exactly, or HTML-escaped in its aria-label;
3. the map scripts never write HTML from data (no innerHTML, insertAdjacentHTML,
   document.write).
"""

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from shapely.geometry import MultiPolygon, box

from app.maps.assets import AssetPin, build_assets_map
from app.maps.base import Basemap, DataMap, new_map, page_parts
from app.maps.live import live_assets_layer
from app.maps.planner import (
    DETAIL_FIELDS,
    AreaShade,
    GapPin,
    LayerNames,
    build_area_map,
    build_planner_map,
)
from tests.maps.islands import ISLAND, island

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
SCRIPTS = APP / "web" / "static" / "js"
TEMPLATE_ENGINES = {"folium", "branca"}
# Building a template from a string (rather than loading a file of app/web/templates).
TEMPLATE_FROM_STRING = {"Template", "from_string"}
HTML_SINKS = re.compile(r"\.innerHTML\b|\.outerHTML\s*=[^=]|insertAdjacentHTML|document\.write")

PAYLOADS = [
    "{{7*7}}",
    "{{lipsum.__globals__.os.getpid()}}",
    "{% if 1 %}choir{% endif %}",
    "{# gone",
    "{%raw%}",
    "${window.__xss=4}",
    "`+(window.__xss=5)+`",
    "</script><script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=2>",
    '"><svg onload=window.__xss=3>',
    "<!--",
    "\u2028&amp;\\",
]


def offences(source: str, filename: str = "<source>") -> list[str]:
    """Where this source uses a template engine that could render data as a template."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names
                      if a.name.split(".")[0] in TEMPLATE_ENGINES]  # fmt: skip
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in TEMPLATE_ENGINES:
                found.append(f"line {node.lineno}: imports from {node.module}")
            if node.module.startswith("jinja2"):
                found += [f"line {node.lineno}: imports jinja2.{a.name}" for a in node.names
                          if a.name in TEMPLATE_FROM_STRING]  # fmt: skip
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in TEMPLATE_FROM_STRING:
                found.append(f"line {node.lineno}: builds a template with {name}()")
    return found


def test_no_template_engine_but_the_page_templates_in_app() -> None:
    problems = [
        f"{path.relative_to(ROOT)} {o}"
        for path in sorted(APP.rglob("*.py"))
        for o in offences(path.read_text(), str(path))
    ]
    assert problems == []


def test_the_check_sees_each_way_to_a_template() -> None:
    source = """
import folium
import branca.element
from folium.template import Template
from branca.element import MacroElement
from jinja2 import Template
env.from_string("x")
Template("{{ x }}")
"""
    assert len(offences(source)) == 7


def test_the_map_scripts_never_write_html() -> None:
    scripts = sorted(SCRIPTS.glob("*.js"))
    assert SCRIPTS / "maps.js" in scripts
    problems = []
    for path in scripts:
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)
        problems += [f"{path.name}: {m.group(0)}" for m in HTML_SINKS.finditer(code)]
    assert problems == []
    assert HTML_SINKS.search("a.innerHTML = b") and HTML_SINKS.search("x.outerHTML = y")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _shade(code: str, x: float, text: str) -> AreaShade:
    details = {name: text for name in DETAIL_FIELDS}
    return AreaShade(code, MultiPolygon([box(x, 51.4, x + 0.1, 51.5)]), 3, "priority", details)


def _names(text: str) -> LayerNames:
    return LayerNames(
        label=text, need=text, gaps=text, deficits=text,
        details={name: text for name in DETAIL_FIELDS},
    )  # fmt: skip


def _planner(text: str) -> DataMap:
    return build_planner_map(
        [_shade(text, -3.3, text), _shade(text + "2", -3.2, text)],
        [GapPin(text, -3.25, 51.45, "cy")],
        Basemap(),
        names=_names(text),
        lang="en",
        theme=text,
        asset_layers=[("group", text)],
    )


def _area(text: str) -> DataMap:
    return build_area_map(
        _shade(text, -3.3, text), [GapPin(text, -3.25, 51.45, "en")], Basemap(), names=_names(text)
    )


def _assets(text: str) -> DataMap:
    pins = [AssetPin(text, -3.2, 51.4, "cy", "/assets/1", text), AssetPin(text, -3.1, 51.5, "en")]
    return build_assets_map(pins, Basemap(), label=text, stack_label=text, lang="cy")


def _live(text: str) -> DataMap:
    m = new_map(Basemap(), label=text, lang="cy", bounds=(-3.3, 51.4, -3.1, 51.5))
    m.add(live_assets_layer(name=text, lang="cy", kinds=["group"], themes=[text]))
    return m


BUILDERS: dict[str, Callable[[str], DataMap]] = {
    "planner": _planner,
    "area": _area,
    "assets": _assets,
    "live": _live,
}


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_text_of_every_map_reaches_the_page_only_as_data(builder: str, payload: str) -> None:
    parts = page_parts(BUILDERS[builder](payload))
    data = island(parts)
    # Read back exactly, wherever it went (codes, names, details, labels, layer names...).
    shown = [s for s in _strings(data) if payload in s]
    assert len(shown) >= 2, shown
    # Inside the island: nothing a browser could read as markup, or a template as a tag.
    (found,) = ISLAND.findall(parts.html)
    text = found[1]
    assert not set("<>&\u2028") & set(text)
    # Outside it: the payload only as the map's aria-label, HTML-escaped.
    outside = ISLAND.sub("", str(parts.html)) + str(parts.head)
    label = f'aria-label="{escape(payload)}"'
    assert outside.count(label) == 1
    rest = outside.replace(label, "")
    assert payload not in rest and "{" not in rest and "__" not in rest
