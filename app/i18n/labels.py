"""The vocabularies' words in a language (app/vocabularies.py holds the codes): asset kinds,
days, accessibility features and language names. Pages and publications (Open Referral) share
them, so each is translated once in the catalogues."""

from babel import Locale

from app.i18n import translations

# Babel's locale for each page language ("4 March 2024", "4 Mawrth 2024", language names).
LOCALES = {"en": "en_GB", "cy": "cy"}


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


def day_names(lang: str) -> dict[str, str]:
    """The days of the week in a language, Monday first."""
    _ = translations(lang).gettext
    return {
        "mon": _("Monday"),
        "tue": _("Tuesday"),
        "wed": _("Wednesday"),
        "thu": _("Thursday"),
        "fri": _("Friday"),
        "sat": _("Saturday"),
        "sun": _("Sunday"),
    }


def accessibility_labels(lang: str) -> dict[str, str]:
    """The accessibility vocabulary (app/schemas/assets.py Accessibility) in a language."""
    _ = translations(lang).gettext
    return {
        "step_free_access": _("Step-free access"),
        "accessible_toilet": _("Accessible toilet"),
        "hearing_loop": _("Hearing loop"),
        "blue_badge_parking": _("Blue Badge parking"),
        "assistance_dogs_welcome": _("Assistance dogs welcome"),
        "quiet_space": _("Quiet space"),
        "large_print": _("Large print"),
        "bsl_interpreter": _("British Sign Language interpreter"),
        "changing_places_toilet": _("Changing Places toilet"),
        "seating": _("Seating"),
    }


def language_name(code: str, lang: str) -> str:
    """A language's name (ISO 639 code) in a language: our own words for Welsh, English and
    British Sign Language, Babel's (CLDR) for the rest, else the code."""
    _ = translations(lang).gettext
    ours = {"cy": _("Welsh"), "en": _("English"), "bfi": _("British Sign Language")}
    if code in ours:
        return ours[code]
    return Locale.parse(LOCALES[lang]).languages.get(code) or code
