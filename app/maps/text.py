"""The one way to put text on a map: every popup, tooltip and GeoJSON detail is built here.

folium does not make text safe. It writes popup and tooltip HTML into JavaScript template
literals (`...`), so `${...}` runs even in HTML-escaped text, and GeoJsonTooltip/GeoJsonPopup
put feature properties into the page as raw HTML. Worse, branca renders each element's script
once, then compiles the output as a Jinja template and renders it again: `{{ 7*7 }}` in a
name became 49, on the server (template injection, found by tests/web/test_every_page.py).
`map_text` HTML-escapes and also encodes backslash, backtick, `$`, `{` and `}` as character
references, which the browser shows as typed; `marker` writes alt text as a JavaScript string
whose braces are escapes (\u007b), for the same reason.
A test fails if folium's Popup, Tooltip, GeoJsonTooltip, GeoJsonPopup or Marker is built
elsewhere.
"""

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import folium
from folium.template import Template

# Character references: inert inside a template literal, shown as the character in HTML.
_TEMPLATE_LITERAL = str.maketrans(
    {"\\": "&#92;", "`": "&#96;", "$": "&#36;", "{": "&#123;", "}": "&#125;"}
)
# JavaScript string escapes for what branca's second (Jinja) render would read as a tag.
_JINJA_IN_JS = str.maketrans({"{": "\\u007b", "}": "\\u007d", "%": "\\u0025", "#": "\\u0023"})


class _Popup(folium.Popup):
    """folium's Popup without jQuery (folium wraps the content in `$(...)`; not served here)."""

    _template = Template(
        """
        var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }});
        {% for name, element in this.html._children.items() %}
            {{ this.get_name() }}.setContent(`{{ element.render(**kwargs).replace('\\n', ' ') }}`);
        {% endfor %}
        {{ this._parent.get_name() }}.bindPopup({{ this.get_name() }})
        {% if this.show %}.openPopup(){% endif %};
        """
    )


def map_text(value: object) -> str:
    """Text (any value) made safe for a map: HTML-escaped; backslash, backtick, $, braces
    encoded."""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_LITERAL)


class _Marker(folium.Marker):
    """folium's Marker with its alt text written as a JavaScript string that no template
    engine reads as a tag (see the module docstring)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.marker(
                {{ this.location|tojson }},
                Object.assign({{ this.options|tojavascript }}, {alt: {{ this.alt_js }}})
            ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, location: Sequence[float], alt: str, **kwargs: Any) -> None:
        super().__init__(location=location, **kwargs)
        self.alt_js = js_string(alt)


def js_string(value: object) -> str:
    """A JavaScript string literal of the text (JSON, with <, >, &, ', braces, % and # as
    escapes): safe inside a <script> and through branca's second render."""
    text = json.dumps(str(value), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escape)
    return text.translate(_JINJA_IN_JS)


def marker(
    lat: float,
    lon: float,
    name: object,
    *,
    popup: folium.Popup | None = None,
    icon: Any = None,
) -> folium.Marker:
    """A marker named `name`: its alt text (what screen readers say) and its tooltip, exactly
    as given; with `popup` (from `popup()`) and `icon` when given."""
    options: dict[str, Any] = {"popup": popup} if popup is not None else {}
    if icon is not None:
        options["icon"] = icon
    return _Marker([lat, lon], str(name), tooltip=tooltip(name), **options)


def tooltip(text: object, **kwargs: Any) -> folium.Tooltip:
    """A tooltip showing this text exactly as given."""
    return folium.Tooltip(map_text(text), **kwargs)


def popup(
    title: object,
    *,
    lines: Iterable[object] = (),
    link: tuple[str, object] | None = None,
    lang: str | None = None,
    max_width: int = 300,
) -> folium.Popup:
    """A popup: a bold title, lines of text, and optionally a link (a path on this site, text);
    `lang` marks the text's language when it differs from the page's."""
    parts = [f"<strong>{map_text(title)}</strong>"]
    parts += [f"<br>{map_text(line)}" for line in lines]
    if link is not None:
        href, label = link
        if not href.startswith("/") or href.startswith("//"):
            raise ValueError(f"popup links go to this site only (a /path), not {href!r}")
        parts.append(f'<br><a href="{map_text(href)}">{map_text(label)}</a>')
    lang_attr = f' lang="{map_text(lang)}"' if lang else ""
    return _Popup(f"<div{lang_attr}>{''.join(parts)}</div>", max_width=max_width)


def escaped_features(data: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A copy of a GeoJSON FeatureCollection whose `fields` properties are map_text strings
    (None stays None), ready for geojson_tooltip/geojson_popup, which show them as HTML."""
    features = []
    for feature in data.get("features", []):
        properties = dict(feature.get("properties") or {})
        for name in fields:
            value = properties.get(name)
            properties[name] = None if value is None else map_text(value)
        features.append({**feature, "properties": properties})
    return {**data, "features": features}


def geojson_layer(
    data: dict[str, Any],
    *,
    fields: Sequence[str],
    aliases: Sequence[str],
    details: str = "tooltip",
    **kwargs: Any,
) -> folium.GeoJson:
    """A GeoJson layer showing `fields` (labelled by `aliases`) in a tooltip or a popup
    (`details`), with those properties escaped; other GeoJson options pass through."""
    safe_aliases = [map_text(a) for a in aliases]
    layer = folium.GeoJson(escaped_features(data, fields), **kwargs)
    if details == "tooltip":
        layer.add_child(folium.GeoJsonTooltip(fields=list(fields), aliases=safe_aliases))
    elif details == "popup":
        layer.add_child(folium.GeoJsonPopup(fields=list(fields), aliases=safe_aliases))
    else:
        raise ValueError(f"details is 'tooltip' or 'popup', not {details!r}")
    return layer
