"""Message catalogues (gettext, Babel) for English and Welsh, and choosing between them.

The .po files here are the source; `make install` compiles them to .mo in place, and building
the wheel compiles them into it (setup.py); `make messages` extracts new strings from app/ and
merges them in. A test keeps every catalogue 100 %
translated with no fuzzy entries.
"""

from functools import lru_cache
from pathlib import Path

from babel.core import negotiate_locale
from babel.support import Translations

I18N_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
LANGUAGES = ("en", "cy")
DEFAULT_LANGUAGE = "en"
# Each language's name in itself, for the language switch (not translated, by design).
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}


class MissingCatalogue(RuntimeError):
    """A compiled catalogue (.mo) is missing: the install step was skipped."""


def catalogue_path(lang: str, suffix: str = ".po") -> Path:
    """Where a language's catalogue is (.po source or compiled .mo)."""
    return I18N_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@lru_cache
def translations(lang: str) -> Translations:
    """The compiled catalogue of a language; MissingCatalogue when it was not compiled."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    path = catalogue_path(lang, ".mo")
    if not path.exists():
        raise MissingCatalogue(f"{path} is missing: run `make install` to compile the catalogues")
    with path.open("rb") as file:
        return Translations(file, domain=DOMAIN)


def from_accept_language(header: str | None) -> str | None:
    """The best of LANGUAGES for an Accept-Language header ('cy-GB,en;q=0.8' -> 'cy'), or None."""
    if not header:
        return None
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        tag = tag.strip().lower()
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    preferred = [tag for _, _, tag in sorted(weighted)]
    # sep="-": browsers send 'cy-GB'; Babel's default separator is '_'.
    return negotiate_locale(preferred, LANGUAGES, sep="-")
