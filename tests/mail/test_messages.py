"""Each email in the recipient's language, through the pages' catalogues, with absolute links
from the base URL setting (else the request's, else the development server's)."""

from datetime import UTC, datetime

import pytest
from starlette.requests import Request

from app.services.mail import messages
from app.settings import Settings

BASE = "https://map.example"


def composed(lang: str) -> list[messages.Composed]:
    counts = messages.DigestCounts(suggestions=2, reports=1, offers=3, gaps=0, introductions=6)
    since = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    return [
        messages.confirm_email(lang=lang, base=BASE, token="t0k", hours=48),
        messages.reset_email(lang=lang, base=BASE, token="t0k", minutes=60),
        messages.sign_up_attempt_email(lang=lang, base=BASE),
        messages.digest_email(lang=lang, base=BASE, counts=counts, since=since),
    ]


def test_every_email_is_translated_into_welsh() -> None:
    for english, welsh in zip(composed("en"), composed("cy"), strict=True):
        assert welsh.subject != english.subject
        english_lines = set(english.body.splitlines())
        # Every sentence differs; only the links (and blank lines) are shared.
        shared = english_lines & set(welsh.body.splitlines())
        assert all(line.strip() == "" or "https://" in line for line in shared), shared


def test_links_are_absolute_and_welsh_ones_go_to_welsh_pages() -> None:
    confirm_en, reset_en, attempt_en, digest_en = composed("en")
    confirm_cy, _, attempt_cy, digest_cy = composed("cy")

    assert f"{BASE}/confirm?token=t0k" in confirm_en.body
    assert f"{BASE}/cy/confirm?token=t0k" in confirm_cy.body
    assert f"{BASE}/reset/new?token=t0k" in reset_en.body
    assert f"{BASE}/sign-in" in attempt_en.body and f"{BASE}/cy/reset" in attempt_cy.body
    assert f"{BASE}/connector/introductions" in digest_en.body
    assert "gap" not in digest_en.body  # a count of zero is left out
    assert "6 chais newydd am gyflwyniadau" in digest_cy.body
    assert digest_cy.subject == "Eich ardal: 12 eitem newydd i edrych arnynt"
    assert "2026-12-01 09:30 UTC" in digest_en.body


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [("https://map.example/", "https://map.example"), (None, "http://testserver")],
)
def test_the_links_start_from_the_setting_else_the_request(
    base_url: str | None, expected: str
) -> None:
    settings = Settings(base_url=base_url)
    request = Request(
        {
            "type": "http",
            "scheme": "http",
            "server": ("testserver", 80),
            "path": "/sign-up",
            "root_path": "",
            "headers": [],
            "query_string": b"",
        }
    )

    assert messages.site_url(settings, request) == expected
    assert messages.site_url(Settings(base_url=None)) == messages.DEVELOPMENT_URL
