"""Opening rules in words, in English or Welsh ("First Tuesday of the month, 10:00 to 12:00",
"Dydd Mawrth cyntaf y mis, 10:00 i 12:00"): the asset page and Open Referral share them."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from app.i18n import translations
from app.i18n.labels import LOCALES, day_names

PLAIN_WEEKLY_KEYS = frozenset({"day", "opens", "closes"})


@dataclass(frozen=True)
class ScheduleWords:
    """One opening rule in a language: when it happens, the dates it holds between (or None),
    its closures and its note (the other language's note when only that one is held)."""

    when: str
    dates: str | None
    closures: list[str]
    note: str | None


def is_plain_weekly(rule: Mapping[str, Any]) -> bool:
    """Whether a stored rule is just a weekly slot (day, opens, closes) and nothing more."""
    return set(rule) <= PLAIN_WEEKLY_KEYS


def long_day(value: str, lang: str) -> str:
    """An ISO date written out in `lang` ('24 December 2026', '24 Rhagfyr 2026')."""
    return format_date(date.fromisoformat(value), format="long", locale=LOCALES[lang])


def _day_in_phrase(name: str, ordinal: int, lang: str) -> str:
    # Welsh puts ail/trydydd/pedwerydd before the noun, so the day name loses its capital,
    # and "ail" softly mutates it ("ail ddydd Mawrth"); cyntaf and olaf follow the noun.
    if lang != "cy" or ordinal not in (2, 3, 4):
        return name
    lowered = name[:1].lower() + name[1:]
    if ordinal == 2 and lowered.startswith("d") and not lowered.startswith("dd"):
        return "d" + lowered
    return lowered


def schedule_words(rule: Mapping[str, Any], lang: str) -> ScheduleWords:
    """A stored opening rule (app/schemas/assets.py OpeningPeriod) in words in `lang`."""
    _ = translations(lang).gettext
    opens, closes = rule["opens"], rule["closes"]
    ordinal = rule.get("week_of_month")
    every = int(rule.get("every_weeks") or 1)
    day = _day_in_phrase(day_names(lang)[rule["day"]], ordinal or 0, lang)
    if ordinal is not None:
        patterns = {
            1: _("First %(day)s of the month, %(opens)s to %(closes)s"),
            2: _("Second %(day)s of the month, %(opens)s to %(closes)s"),
            3: _("Third %(day)s of the month, %(opens)s to %(closes)s"),
            4: _("Fourth %(day)s of the month, %(opens)s to %(closes)s"),
            -1: _("Last %(day)s of the month, %(opens)s to %(closes)s"),
        }
        when = patterns[int(ordinal)] % {"day": day, "opens": opens, "closes": closes}
    elif every > 1:
        when = _("Every %(weeks)s weeks on %(day)s, %(opens)s to %(closes)s") % {
            "weeks": every,
            "day": day,
            "opens": opens,
            "closes": closes,
        }
    else:
        when = _("Every %(day)s, %(opens)s to %(closes)s") % {
            "day": day,
            "opens": opens,
            "closes": closes,
        }
    start, end = rule.get("valid_from"), rule.get("valid_to")
    if start and end:
        dates = _("From %(start)s to %(end)s") % {
            "start": long_day(start, lang),
            "end": long_day(end, lang),
        }
    elif start:
        dates = _("From %(start)s") % {"start": long_day(start, lang)}
    elif end:
        dates = _("Until %(end)s") % {"end": long_day(end, lang)}
    else:
        dates = None
    closures = [closure_words(c, lang) for c in rule.get("closures") or []]
    other = "cy" if lang == "en" else "en"
    note = rule.get(f"note_{lang}") or rule.get(f"note_{other}")
    return ScheduleWords(when=when, dates=dates, closures=closures, note=note)


def closure_words(closure: Mapping[str, str], lang: str) -> str:
    """'Closed 24 December 2026 to 2 January 2027' (or one day: 'Closed 25 December 2026')."""
    _ = translations(lang).gettext
    start, end = closure["closed_from"], closure["closed_to"]
    if start == end:
        return _("Closed %(date)s") % {"date": long_day(start, lang)}
    return _("Closed %(start)s to %(end)s") % {
        "start": long_day(start, lang),
        "end": long_day(end, lang),
    }
