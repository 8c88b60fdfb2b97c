"""How the deficits pages show a reported gap: its title and description in the page's
language (else the other's), theme, status, where it is, and the assets that could meet it."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from app.services.needs.matches import GapWithMatches
from app.web.places import NUMBER_LOCALES, label_with_place
from app.web.search import ResultItem, bilingual, result_items


@dataclass(frozen=True)
class GapItem:
    """One gap as a page shows it; `title_lang` and `description_lang` say which language
    the text is in (the page's, else the other when only that one was given)."""

    id: int
    version: int
    title: str
    title_lang: str
    description: str
    description_lang: str
    theme: str
    status: str
    severity: int
    reported_on: str
    reporter: str | None
    where: str | None
    matches: list[ResultItem]
    more_matches: bool

    @property
    def is_open(self) -> bool:
        """Whether the gap is still open (not yet addressed)."""
        return self.status == "open"


def long_date(day: date, lang: str) -> str:
    """A date in words in the page's language ('6 December 2026', '6 Rhagfyr 2026')."""
    return format_date(day, format="long", locale=NUMBER_LOCALES.get(lang, "en_GB"))


def gap_item(gap: GapWithMatches, lang: str, themes: Mapping[str, str]) -> GapItem:
    """A gap with its matches (app/services/needs/matches.py) as the page shows it."""
    record = gap.record
    title, title_lang = bilingual(record, "title", lang)
    description, description_lang = bilingual(record, "description", lang)
    where = None
    if gap.area is not None:
        area = {"code": gap.area.code, "name_en": gap.area.name_en, "name_cy": gap.area.name_cy}
        where = label_with_place(area, gap.area.near, lang)
    return GapItem(
        id=record["id"],
        version=record["version"],
        title=title,
        title_lang=title_lang,
        description=description,
        description_lang=description_lang,
        theme=themes.get(record["theme"], record["theme"]),
        status=record["status"],
        severity=record["severity"],
        reported_on=long_date(record["reported_on"], lang),
        reporter=record.get("reporter"),
        where=where,
        matches=result_items(gap.matches, lang),
        more_matches=gap.more_matches,
    )


def gap_items(
    gaps: Iterable[GapWithMatches], lang: str, themes: Mapping[str, str]
) -> list[GapItem]:
    """Each gap as the page shows it."""
    return [gap_item(gap, lang, themes) for gap in gaps]
