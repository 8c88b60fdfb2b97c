"""Errors on pages are pages: translated, in the page's language; the API keeps JSON errors."""

from collections.abc import Iterator

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from app.errors import Forbidden, TooManyRequests
from app.http.access import Editor, Public
from app.main import create_app
from app.settings import Settings
from app.web.routing import PageRouter

extra = PageRouter()


@extra.page("/test-errors/number/{number}")
def number_page(number: int, viewer: Public, size: int = 1) -> HTMLResponse:
    return HTMLResponse(f"<p>{number} {size}</p>")


@extra.page("/test-errors/editors")
def editors_page(viewer: Editor) -> HTMLResponse:
    return HTMLResponse("<p>editors</p>")


@extra.page("/test-errors/forbidden")
def forbidden_page(viewer: Public) -> HTMLResponse:
    raise Forbidden("no")


@extra.page("/test-errors/busy")
def busy_page(viewer: Public) -> HTMLResponse:
    raise TooManyRequests("slow down", retry_after=150)


@extra.page("/test-errors/broken")
def broken_page(request: Request, viewer: Public) -> HTMLResponse:
    raise RuntimeError("a bug")


@pytest.fixture
def pages(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    app.include_router(extra)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _title(html: str) -> str:
    return html.split("<h1>", 1)[1].split("</h1>", 1)[0]


@pytest.mark.parametrize(
    ("path", "title"),
    [("/no-such-page", "Page not found"), ("/cy/no-such-page", "Heb ddod o hyd i'r dudalen")],
)
def test_an_unknown_page_is_a_translated_404_page(pages: TestClient, path: str, title: str) -> None:
    response = pages.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert _title(response.text) == title
    assert '<html lang="%s">' % ("cy" if path.startswith("/cy/") else "en") in response.text


def test_the_api_keeps_json_errors(pages: TestClient) -> None:
    for path in ("/api/v1/no-such-thing", "/api/v1/assets/999999", "/ogc/collections/nope"):
        response = pages.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json", path
    assert pages.get("/api/v1/assets/abc").json()["detail"][0]["loc"] == ["path", "asset_id"]


def test_a_bad_value_in_a_page_address_names_the_field(pages: TestClient) -> None:
    response = pages.get("/cy/test-errors/number/abc", params={"size": "x"})
    assert response.status_code == 422
    assert _title(response.text) == "Gwiriwch beth rydych wedi'i deipio"
    assert "<li>number</li>" in response.text and "<li>size</li>" in response.text


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(pages: TestClient) -> None:
    response = pages.get("/cy/test-errors/editors", params={"a": "1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/cy/sign-in?next=%2Fcy%2Ftest-errors%2Feditors%3Fa%3D1"


def test_a_signed_in_user_without_the_role_gets_a_403_page(
    pages: TestClient, make_user: object
) -> None:
    resident = make_user("resident")  # type: ignore[operator]
    response = pages.get("/test-errors/editors", headers=resident)
    assert response.status_code == 403
    assert _title(response.text) == "You cannot use this page"
    assert _title(pages.get("/test-errors/forbidden").text) == "You cannot use this page"


def test_too_many_requests_says_how_long_to_wait(pages: TestClient) -> None:
    response = pages.get("/cy/test-errors/busy")
    assert response.status_code == 429 and response.headers["retry-after"] == "150"
    assert "Arhoswch 3 munud, yna rhowch gynnig arall arni." in response.text


def test_a_bug_is_a_500_page_that_shows_no_detail(pages: TestClient) -> None:
    response = pages.get("/test-errors/broken")
    assert response.status_code == 500
    assert _title(response.text) == "Sorry, something went wrong"
    assert "a bug" not in response.text and "RuntimeError" not in response.text
    api = pages.get("/api/v1/assets", params={"limit": "x"})
    assert api.headers["content-type"] == "application/json"
