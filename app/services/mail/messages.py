"""The emails the service sends, composed in the recipient's language through the same Babel
catalogues as the pages (app/i18n), with absolute links.

Each composer returns a `Composed` (subject and plain-text body); `send` queues it in the
outbox in the caller's transaction. Links start from ASSETMAP_BASE_URL, else from the request
the email answers, else from where `make run` serves (development).
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy.orm import Session

from app.i18n import translations
from app.services.mail.outbox import enqueue
from app.settings import Settings

# Where `make run` serves: links of email composed outside a request, with no base URL set.
DEVELOPMENT_URL = "http://127.0.0.1:8000"
WELSH_PREFIX = "/cy"


@dataclass(frozen=True)
class Composed:
    """One email's subject and plain-text body."""

    subject: str
    body: str


def site_url(settings: Settings, request: Request | None = None) -> str:
    """The start of every link in an email: the base URL setting, else the request's, else
    the development server's (no trailing slash)."""
    if settings.base_url:
        return settings.base_url.rstrip("/")
    if request is not None:
        return str(request.base_url).rstrip("/")
    return DEVELOPMENT_URL


def link(base: str, path: str, lang: str, **query: str) -> str:
    """An absolute link to a page in a language (Welsh pages live under /cy)."""
    prefix = WELSH_PREFIX if lang == "cy" else ""
    tail = "?" + urlencode(query) if query else ""
    return f"{base}{prefix}{path}{tail}"


def send(session: Session, *, to: str, email: Composed) -> None:
    """Queue a composed email to `to` in the caller's transaction."""
    enqueue(session, to=to, subject=email.subject, body=email.body)


def _body(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def _signature(lang: str) -> str:
    _ = translations(lang).gettext
    return _("Community asset map")


def confirm_email(*, lang: str, base: str, token: str, hours: int) -> Composed:
    """The link that confirms a new account's email address (and signs its owner in)."""
    _ = translations(lang).gettext
    return Composed(
        subject=_("Confirm your email address for the community asset map"),
        body=_body(
            _(
                "Someone, we hope you, signed up to the community asset map with this email "
                "address."
            ),
            _("To confirm it and sign in, open this link within %(hours)d hours:")
            % {"hours": hours}
            + "\n"
            + link(base, "/confirm", lang, token=token),
            _("If you did not sign up, ignore this email: the account stays unused."),
            _signature(lang),
        ),
    )


def reset_email(*, lang: str, base: str, token: str, minutes: int) -> Composed:
    """The single-use link that sets a new password."""
    _ = translations(lang).gettext
    return Composed(
        subject=_("Reset your password for the community asset map"),
        body=_body(
            _(
                "Someone, we hope you, asked to reset the password of your account on the "
                "community asset map."
            ),
            _("To choose a new password, open this link within %(minutes)d minutes. It works once:")
            % {"minutes": minutes}
            + "\n"
            + link(base, "/reset/new", lang, token=token),
            _("If you did not ask, ignore this email: your password stays as it is."),
            _signature(lang),
        ),
    )


def sign_up_attempt_email(*, lang: str, base: str) -> Composed:
    """To an address that has an account already, when someone signs up with it again."""
    _ = translations(lang).gettext
    return Composed(
        subject=_("Someone tried to sign up with your email address"),
        body=_body(
            _(
                "Someone tried to sign up to the community asset map with this email address, "
                "but it has an account already."
            ),
            _("If it was you, sign in here:") + "\n" + link(base, "/sign-in", lang),
            _("If you have forgotten your password, choose a new one here:")
            + "\n"
            + link(base, "/reset", lang),
            _("If it was not you, you need do nothing: your account has not changed."),
            _signature(lang),
        ),
    )


@dataclass(frozen=True)
class DigestCounts:
    """What arrived in a patch since the last digest: counts only, never who."""

    suggestions: int = 0
    reports: int = 0
    offers: int = 0
    gaps: int = 0
    introductions: int = 0

    @property
    def total(self) -> int:
        """Everything new, together."""
        return self.suggestions + self.reports + self.offers + self.gaps + self.introductions


@dataclass(frozen=True)
class DigestLinks:
    """The queue pages the digest links to (site paths)."""

    moderation: str = "/connector/moderation"
    offers: str = "/connector/offers"
    gaps: str = "/connector/gaps"
    introductions: str = "/connector/introductions"


def digest_email(
    *,
    lang: str,
    base: str,
    counts: DigestCounts,
    since: datetime,
    links: DigestLinks | None = None,
) -> Composed:
    """The digest of new work in a patch: how many of each, and the queue to find them in."""
    t = translations(lang)
    _, ngettext = t.gettext, t.ngettext
    links = links or DigestLinks()
    lines = []
    rows = (
        (counts.suggestions, links.moderation),
        (counts.reports, links.moderation),
        (counts.offers, links.offers),
        (counts.gaps, links.gaps),
        (counts.introductions, links.introductions),
    )
    labels = (
        ngettext(
            "%(num)d new suggestion of an asset",
            "%(num)d new suggestions of assets",
            counts.suggestions,
        ),
        ngettext(
            "%(num)d new report of an asset closed or wrong",
            "%(num)d new reports of assets closed or wrong",
            counts.reports,
        ),
        ngettext(
            "%(num)d new offer of help to confirm",
            "%(num)d new offers of help to confirm",
            counts.offers,
        ),
        ngettext(
            "%(num)d new gap reported as missing",
            "%(num)d new gaps reported as missing",
            counts.gaps,
        ),
        ngettext(
            "%(num)d new request for an introduction",
            "%(num)d new requests for introductions",
            counts.introductions,
        ),
    )
    for (count, path), label in zip(rows, labels, strict=True):
        if count:
            lines.append("- " + label % {"num": count} + "\n  " + link(base, path, lang))
    when = since.strftime("%Y-%m-%d %H:%M UTC")
    return Composed(
        subject=ngettext(
            "Your patch: %(num)d new item to look at",
            "Your patch: %(num)d new items to look at",
            counts.total,
        )
        % {"num": counts.total},
        body=_body(
            _("This arrived in your patch since %(when)s:") % {"when": when},
            "\n".join(lines),
            _("To change how often this email comes, or to stop it, go to your account:")
            + "\n"
            + link(base, "/account", lang),
            _signature(lang),
        ),
    )
