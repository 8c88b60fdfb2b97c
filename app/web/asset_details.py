"""How an asset's page shows its details: opening hours by day, accessibility features,
languages (and the Welsh active offer), contact links and dates, in the page's language; and
its "I use this" panel (a published count, never who)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy.orm import Session

from app.i18n.labels import LOCALES, accessibility_labels, day_names, language_name
from app.i18n.schedules import ScheduleWords, is_plain_weekly, schedule_words
from app.services.assets.visibility import Viewer
from app.services.coproduction import uses
from app.vocabularies import DAYS

# Babel's locale for each page language's dates ("4 March 2024", "4 Mawrth 2024").
DATE_LOCALES = LOCALES


@dataclass(frozen=True)
class OpeningDay:
    """One row of the opening hours table: a day and its periods ('09:00', '12:30')."""

    day: str
    name: str
    periods: list[tuple[str, str]]


def opening_days(hours: list[dict[str, Any]], lang: str) -> list[OpeningDay]:
    """The plain weekly periods grouped by day, Monday first, each day's periods by time; days
    with no periods are left out (richer rules are told in words: opening_rules)."""
    names = day_names(lang)
    weekly = [h for h in hours if is_plain_weekly(h)]
    rows = []
    for day in DAYS:
        periods = sorted((h["opens"], h["closes"]) for h in weekly if h.get("day") == day)
        if periods:
            rows.append(OpeningDay(day, names[day], periods))
    return rows


def opening_rules(hours: list[dict[str, Any]], lang: str) -> list[ScheduleWords]:
    """The rules that are more than a weekly slot (every N weeks, Nth weekday of the month,
    dates, closures, notes), in words, in the order they were given."""
    return [schedule_words(h, lang) for h in hours if not is_plain_weekly(h)]


def long_date(value: datetime, lang: str) -> str:
    """A date written out for a page in `lang` ('4 March 2024', '4 Mawrth 2024')."""
    return format_date(value.date(), format="long", locale=DATE_LOCALES[lang])


def website_href(url: str | None) -> str | None:
    """A website to link to: only http(s) addresses (anything else is shown as text)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def phone_href(phone: str | None) -> str | None:
    """A tel: link for a phone number (digits and a leading +), or None."""
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isdigit())
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}" if digits else None


@dataclass(frozen=True)
class AssetDetails:
    """Everything the asset page shows beyond the record itself, already in its language."""

    hours: list[OpeningDay]
    rules: list[ScheduleWords]
    accessibility: list[str]
    languages: list[tuple[str, str]]
    welsh_offer: bool
    themes: list[str]
    verified: str | None
    website: str | None
    phone: str | None


def asset_details(record: Mapping[str, Any], lang: str, themes: dict[str, str]) -> AssetDetails:
    """The record's details for a page in `lang`; `themes` labels theme codes."""
    labels = accessibility_labels(lang)
    verified = record.get("last_verified_at")
    return AssetDetails(
        hours=opening_days(record.get("opening_hours") or [], lang),
        rules=opening_rules(record.get("opening_hours") or [], lang),
        accessibility=[labels.get(a, a) for a in record.get("accessibility") or []],
        languages=[(c, language_name(c, lang)) for c in record.get("languages") or []],
        welsh_offer="cy" in (record.get("languages") or []),
        themes=[label for code, label in themes.items() if code in (record.get("themes") or [])],
        verified=long_date(verified, lang) if verified else None,
        website=website_href(record.get("website")),
        phone=phone_href(record.get("phone")),
    )


@dataclass(frozen=True)
class UsePanel:
    """The asset page's "I use this": the published count (None: fewer than 5), whether the
    signed-in viewer said they use it, and the theme its "I can help with this" link offers."""

    residents: int | None
    you_use_it: bool
    offer_theme: str | None


def use_panel(session: Session, viewer: Viewer, record: Mapping[str, Any]) -> UsePanel:
    """The "I use this" panel of a public asset's page, for this viewer."""
    asset_id = int(record["id"])
    count = uses.use_counts(session, [asset_id])[asset_id]
    themes = record.get("themes") or []
    return UsePanel(
        residents=count.residents,
        you_use_it=uses.uses(session, viewer, asset_id),
        offer_theme=themes[0] if themes else None,
    )
