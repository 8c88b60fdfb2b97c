"""folium's text-bearing elements are built only in app/maps/text.py (walks app/ with ast).

Anywhere else, a Popup, Tooltip, GeoJsonTooltip, GeoJsonPopup or Marker (or a subclass), or a
`popup=`/`tooltip=` argument not made by app.maps.text, would put unescaped user text on a map.
"""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
HELPER = APP / "maps" / "text.py"
TEXT_CLASSES = {"Popup", "Tooltip", "GeoJsonTooltip", "GeoJsonPopup", "Marker"}
TEXT_KEYWORDS = {"popup", "tooltip"}
SAFE_BUILDERS = {"popup", "tooltip"}  # app.maps.text's


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def offences(source: str, filename: str = "<source>") -> list[str]:
    """Where this source builds map text other than through app.maps.text."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom):
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names
                      if a.name in TEXT_CLASSES]  # fmt: skip
        if isinstance(node, ast.ClassDef):
            found += [f"line {node.lineno}: subclasses {_called_name(b)}" for b in node.bases
                      if _called_name(b) in TEXT_CLASSES]  # fmt: skip
        if not isinstance(node, ast.Call):
            continue
        if _called_name(node.func) in TEXT_CLASSES:
            found.append(f"line {node.lineno}: builds {_called_name(node.func)}")
        for keyword in node.keywords:
            if keyword.arg not in TEXT_KEYWORDS:
                continue
            value = keyword.value
            safe = isinstance(value, ast.Constant) and value.value is None
            safe = safe or (
                isinstance(value, ast.Call) and _called_name(value.func) in SAFE_BUILDERS
            )
            if not safe:
                found.append(f"line {node.lineno}: {keyword.arg}= not from app.maps.text")
    return found


def test_map_text_is_built_only_by_the_helper() -> None:
    problems = []
    for path in sorted(APP.rglob("*.py")):
        if path == HELPER:
            continue
        problems += [
            f"{path.relative_to(APP.parent)} {o}" for o in offences(path.read_text(), str(path))
        ]
    assert problems == []


def test_the_check_sees_every_way_round_the_helper() -> None:
    source = """
import folium
from folium import Tooltip
from folium.features import GeoJsonPopup
folium.Popup("x")
Tooltip("x")
folium.GeoJsonTooltip(fields=["a"])
folium.Marker([0, 0], tooltip=name)
folium.Marker([0, 0], popup=f"<b>{name}</b>")
folium.GeoJson(data, popup=GeoJsonPopup(fields=["a"]))
class Mine(folium.Tooltip): ...
"""
    assert len(offences(source)) == 12  # the two Markers count twice: built, and given text


def test_the_helper_builders_pass() -> None:
    source = """
marker(0, 0, name, popup=text.popup(name), icon=None)
marker(0, 0, name, popup=None)
"""
    assert offences(source) == []


def test_the_helper_is_where_the_classes_are_built() -> None:
    # The exemption is for a file that does build them; if it moves, this test must move too.
    built = {n.func.attr for n in ast.walk(ast.parse(HELPER.read_text()))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}  # fmt: skip
    assert {"Tooltip", "GeoJsonTooltip", "GeoJsonPopup"} <= built
    assert "_Marker" in HELPER.read_text() and "class _Marker(folium.Marker)" in HELPER.read_text()
