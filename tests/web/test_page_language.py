"""Which language a page is in: the URL, then the cookie, then Accept-Language, then English."""

import pytest
from fastapi.testclient import TestClient

from app.i18n import from_accept_language
from app.web.language import LANG_COOKIE

# Language negotiation never depends on the database: once is enough.
pytestmark = pytest.mark.backend("spatialite")


def _lang(client: TestClient, path: str, **kwargs: object) -> str:
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    return response.text.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("cy-GB,en;q=0.8", "cy"),
        ("cy", "cy"),
        ("CY-gb", "cy"),
        ("en-GB,en;q=0.9,cy;q=0.8", "en"),
        ("en;q=0.5, cy;q=0.9", "cy"),
        ("cy;q=0, en", "en"),
        ("fr-FR, de", None),
        ("*", None),
        ("", None),
        ("cy;q=nonsense, en", "en"),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_the_url_prefix_wins_over_everything(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "en")
    assert _lang(client, "/cy/", headers={"Accept-Language": "en"}) == "cy"


def test_lang_in_the_query_wins_over_cookie_and_browser(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "en")
    assert _lang(client, "/?lang=cy", headers={"Accept-Language": "en"}) == "cy"


def test_the_cookie_wins_over_the_browser(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "cy")
    assert _lang(client, "/", headers={"Accept-Language": "en"}) == "cy"


def test_the_browser_language_is_used_when_nothing_else_says(client: TestClient) -> None:
    assert _lang(client, "/", headers={"Accept-Language": "cy-GB,en;q=0.8"}) == "cy"
    assert _lang(client, "/", headers={"Accept-Language": "fr"}) == "en"
    assert _lang(client, "/") == "en"


def test_a_language_chosen_in_the_url_is_remembered(client: TestClient) -> None:
    response = client.get("/?lang=cy")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{LANG_COOKIE}=cy;")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert _lang(client, "/search") == "cy"
    assert _lang(client, "/?lang=en") == "en"
    assert _lang(client, "/") == "en"


def test_a_negotiated_page_says_what_it_varies_by(client: TestClient) -> None:
    assert client.get("/").headers["vary"] == "Accept-Language, Cookie"
    assert "vary" not in client.get("/cy/").headers


def test_only_an_explicit_choice_sets_the_cookie(client: TestClient) -> None:
    for path in ("/", "/cy/", "/cy/search?q=x"):
        assert "set-cookie" not in client.get(path).headers, path
    assert client.get("/cy/?lang=cy").headers["set-cookie"].startswith(f"{LANG_COOKIE}=cy;")
    assert "set-cookie" not in client.get("/cy/?lang=cy").headers  # already remembered


def test_the_switch_keeps_the_query(client: TestClient) -> None:
    english = client.get("/search", params={"q": "lunch club"}).text
    assert '<a href="/cy/search?lang=cy&amp;q=lunch+club" lang="cy"' in english
    welsh = client.get("/cy/search", params={"q": "lunch club"}).text
    assert '<a href="/search?lang=en&amp;q=lunch+club" lang="en"' in welsh
