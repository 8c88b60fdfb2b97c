"""How search pages show things: names in the page's language (or visibly in the other), the
search form's filters, and map pins that link to each asset's page."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.i18n import translations
from app.maps.assets import AssetPin
from app.services.assets.search import PUBLIC_KINDS, Place, SearchFilters
from app.services.assets.themes import list_themes
from app.web.language import localised


def kind_labels(lang: str) -> dict[str, str]:
    """The public kinds' names in a language."""
    _ = translations(lang).gettext
    return {
        "group": _("Group"),
        "space": _("Space"),
        "organisation": _("Organisation"),
        "service": _("Service"),
        "business": _("Business"),
        "culture": _("Culture"),
    }


def theme_labels(session: Session, lang: str) -> dict[str, str]:
    """Every active theme's label in a language, in taxonomy order."""
    return {t.code: t.label_cy if lang == "cy" else t.label_en for t in list_themes(session)}


@dataclass(frozen=True)
class Option:
    """A checkbox of the search form: its value, label and whether it is ticked."""

    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class SearchForm:
    """What the search form shows: the text, the point searched near (kept when filters
    change), and the theme and kind checkboxes."""

    query: str
    near: str
    themes: list[Option]
    kinds: list[Option]

    @property
    def filtered(self) -> bool:
        """Whether any filter is ticked (the filters then start open)."""
        return any(o.checked for o in [*self.themes, *self.kinds])


def search_form(
    session: Session,
    lang: str,
    *,
    query: str = "",
    near: str = "",
    filters: SearchFilters | None = None,
) -> SearchForm:
    """The search form for a page in `lang`, filled in with the search shown."""
    filters = filters or SearchFilters()
    kinds = kind_labels(lang)
    return SearchForm(
        query=query,
        near=near,
        themes=[
            Option(code, label, code in filters.themes)
            for code, label in theme_labels(session, lang).items()
        ],
        kinds=[Option(k, kinds[k], k in filters.kinds) for k in PUBLIC_KINDS],
    )


def display_name(record: dict[str, Any], lang: str) -> tuple[str, str]:
    """An asset's name in the page's language, else in the other one: (text, its language)."""
    return bilingual(record, "name", lang)


def bilingual(record: dict[str, Any], stem: str, lang: str) -> tuple[str, str]:
    """A text field (`stem`_en / `stem`_cy) in the page's language, else in the other one:
    (text, its language)."""
    other = "en" if lang == "cy" else "cy"
    if record.get(f"{stem}_{lang}"):
        return record[f"{stem}_{lang}"], lang
    return record.get(f"{stem}_{other}") or "", other


@dataclass(frozen=True)
class ResultItem:
    """One result as a page shows it: the record, its name in the page's language or, failing
    that, in the other (`name_lang` says which), and the path of its page."""

    record: dict[str, Any]
    name: str
    name_lang: str
    href: str


def result_items(records: Sequence[dict[str, Any]], lang: str) -> list[ResultItem]:
    """The records, named and linked for a page in `lang`."""
    return [
        ResultItem(r, *display_name(r, lang), localised(f"/assets/{r['id']}", lang))
        for r in records
    ]


@dataclass(frozen=True)
class PlaceItem:
    """A matched place as a page shows it: its name (and that name's language) and link."""

    place: Place
    name: str
    name_lang: str
    href: str


def place_items(places: Sequence[Place], lang: str) -> list[PlaceItem]:
    """The places, named and linked to their area page for a page in `lang`."""
    items = []
    for place in places:
        name, name_lang = bilingual(vars(place), "name", lang)
        items.append(
            PlaceItem(place, name or place.code, name_lang, localised(f"/areas/{place.code}", lang))
        )
    return items


def result_pins(items: Sequence[ResultItem], lang: str) -> list[AssetPin]:
    """A map pin per result, its popup linking to the asset's page."""
    link_text = translations(lang).gettext("See details")
    return [
        AssetPin(i.name, i.record["lon"], i.record["lat"], i.name_lang, i.href, link_text)
        for i in items
    ]
