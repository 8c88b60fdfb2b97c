"""Assets loaded by viewport: a map layer that asks /api/v1/map/assets for what is in view.

The page holds no assets: on load and after every move, static/js/live-layer.js fetches the
clusters or points of the current view (aborting the request before) and draws them, with
user text put into the DOM only as text. The strings it shows come from the catalogue here,
in the page's language, so the script holds no words of its own.
"""

from collections.abc import Callable
from typing import Any

from app.i18n import translations

ASSETS_API = "/api/v1/map/assets"
DOWNLOAD_API = "/api/v1/map/download"
# The id of the list twin (templates/_live_list.html) a layer fills when it is on the page.
LIST_ID = "live-list"
# One sample count per CLDR plural category (what Intl.PluralRules gives in the browser) for
# each language; gettext's Welsh forms (0, 1, 2, 3, 6, other) are the same six categories.
_PLURAL_SAMPLES = {
    "en": {"one": 1, "other": 2},
    "cy": {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 6, "other": 4},
}


def live_messages(lang: str) -> dict[str, Any]:
    """The words the live layer shows (aria-labels, list text, popup link), in `lang`; plural
    ones by CLDR category, each still holding its %(num)d for the script to fill in."""
    t = translations(lang)
    samples = _PLURAL_SAMPLES.get(lang, _PLURAL_SAMPLES["en"])

    def forms(pick: Callable[[int], str]) -> dict[str, str]:
        return {category: pick(n) for category, n in samples.items()}

    return {
        "cluster": forms(
            lambda n: t.ngettext(
                "%(num)d place here: zoom in to see it",
                "%(num)d places here: zoom in to see them",
                n,
            )
        ),
        "zoomIn": forms(
            lambda n: t.ngettext(
                "%(num)d place in this view: zoom in to list it",
                "%(num)d places in this view: zoom in to list them",
                n,
            )
        ),
        "inView": forms(
            lambda n: t.ngettext("%(num)d place in this view", "%(num)d places in this view", n)
        ),
        "none": t.gettext("No places in this view."),
        "loading": t.gettext("Loading the places in this view…"),
        "failed": t.gettext(
            "The places in this view could not be loaded. Move the map to try again."
        ),
        "more": t.gettext("More about this place"),
        "inEnglish": t.gettext("(in English)"),
        "inWelsh": t.gettext("(in Welsh)"),
    }


def live_assets_layer(
    *,
    name: str,
    lang: str,
    kinds: list[str] | None = None,
    themes: list[str] | None = None,
    show: bool = True,
    list_id: str = LIST_ID,
    max_degrees: float = 10.0,
) -> dict[str, Any]:
    """A layer of the published assets (never people) in view, as clusters or named markers,
    fetched on load and after each move (a layer of a DataMap); `name` shows in the layer
    control. When the page has the list twin (_live_list.html, id `list_id`), the layer keeps
    it listing the same results; `max_degrees` is the widest view the API takes
    (ASSETMAP_MAX_BBOX_DEGREES)."""
    config = {
        "api": ASSETS_API,
        "download": DOWNLOAD_API,
        "kinds": list(kinds or []),
        "themes": list(themes or []),
        "lang": lang,
        "assetPath": "/cy/assets/" if lang == "cy" else "/assets/",
        "listId": list_id,
        "maxDegrees": max_degrees,
        "messages": live_messages(lang),
    }
    return {"type": "live", "name": name, "show": show, "config": config}
