"""The privacy notice a resident reads before offering their time or a skill ("I can help"),
in English and Welsh, and the version recorded with their consent."""

from app.i18n import translations

# The privacy notice a resident reads before offering. Change the text: change the version.
NOTICE_VERSION = "offer-2026-1"


def _(text: str) -> str:
    """Marks a notice paragraph for the catalogues; translated when shown (notice_text)."""
    return text


NOTICE_PARAGRAPHS = (
    _(
        "We keep what you offer, where near your home you chose and your account's email "
        "address, so that a community connector for your area can check your offer and put "
        "people in touch with you."
    ),
    _(
        "Nobody else sees your name, email or place: the public sees only how many people in "
        "an area offer each theme, counted from the 1 km square you are in, and never fewer "
        "than 5."
    ),
    _(
        "Your consent lasts 3 years. You can withdraw your offer at any time from “My offers”: "
        "everything held about it is then erased."
    ),
)


def notice_text(lang: str) -> list[str]:
    """The privacy notice of NOTICE_VERSION in a language ('en' or 'cy'), paragraph by paragraph."""
    gettext = translations(lang).gettext
    return [gettext(p) for p in NOTICE_PARAGRAPHS]


def notice_version(lang: str) -> str:
    """The version recorded with consent: the notice's version and the language it was read in."""
    return f"{NOTICE_VERSION}-{lang}"
