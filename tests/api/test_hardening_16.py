"""The hardening found by probing (issue 16): cross-site writes refused whether or not anyone is
signed in, language-switch links that stay on the site, secrets judged by entropy, absolute
links from ASSETMAP_BASE_URL only, CSP nonces instead of 'unsafe-inline', a limit on signed-in
residents' writes, and anonymous answers that do not count the records made since."""

import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from app.http.access import SESSION_COOKIE
from app.http.security import MIN_SECRET_BITS, InsecureSettings, estimated_bits
from app.main import create_app
from app.services import users
from app.settings import Settings
from tests.conftest import ADMIN, Patches, asset_body

EVIL = "https://evil.example"
NO_DB = "sqlite:///:memory:"


def signed_in_client(
    app: Any, session: Session, settings: Settings, role: str, email: str
) -> TestClient:
    """A client of `app` with a page session cookie of a new user with this role."""
    user = users.create_user(session, email=email, role=role, actor="test")
    secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, secret)
    return client


def suggestion(patches: Patches, **overrides: Any) -> dict[str, Any]:
    """An anonymous suggestion's body in the west patch."""
    body = asset_body(location={"type": "Point", "coordinates": list(patches.west_point)})
    body.pop("status")
    return {**body, **overrides}


# ---- cross-site writes -------------------------------------------------------------------------


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": EVIL + "/login-csrf.html"},
    ],
)
def test_a_sign_in_form_posted_from_another_site_is_refused(
    client: TestClient, headers: dict[str, str]
) -> None:
    # Login CSRF: nobody is signed in yet, and another site must not sign the visitor in.
    response = client.post(
        "/sign-in", data={"email": "a@example.org", "password": "x" * 12}, headers=headers
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://testserver/sign-in"},
        {},  # not a browser
    ],
)
def test_a_sign_in_form_from_this_site_goes_on(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(
        "/sign-in",
        data={"email": "a@example.org", "password": "x" * 12},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code != 403


@pytest.mark.backend("spatialite")
def test_anonymous_writes_from_another_site_are_refused_on_pages_and_api(
    client: TestClient, session: Session, patches: Patches
) -> None:
    from app.models import Asset

    page = client.post("/suggest", data={"name_en": "x"}, headers={"Origin": EVIL})
    api = client.post("/api/v1/suggestions", json=suggestion(patches), headers={"Origin": EVIL})
    sign_up = client.post("/sign-up", data={"email": "a@example.org"}, headers={"Origin": EVIL})
    assert page.status_code == api.status_code == sign_up.status_code == 403
    assert session.query(Asset).count() == 0


@pytest.mark.backend("spatialite")
def test_the_base_url_counts_as_this_site(settings: Settings) -> None:
    proxied = settings.model_copy(update={"base_url": "https://maps.council.example"})
    with TestClient(create_app(proxied)) as client:
        response = client.post(
            "/sign-in",
            data={"email": "a@example.org", "password": "x" * 12},
            headers={"Origin": "https://maps.council.example"},
            follow_redirects=False,
        )
    assert response.status_code != 403


@pytest.mark.backend("spatialite")
def test_a_token_client_is_not_judged_by_origin(client: TestClient) -> None:
    # Its credential is not ambient: CORS, not this check, governs browsers that send one.
    created = client.post("/api/v1/assets", json=asset_body(), headers={**ADMIN, "Origin": EVIL})
    assert created.status_code == 201, created.text


# ---- the language switch -----------------------------------------------------------------------


def switch_links(html: str) -> list[str]:
    """The hrefs of links that switch language (they carry lang=)."""
    return re.findall(r'href="([^"]*[?&](?:amp;)?lang=(?:en|cy)[^"]*)"', html)


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    "path", ["/cy//evil.example", "/cy//evil.example/x", "//evil.example", "/cy/\\evil.example"]
)
def test_the_language_switch_never_links_off_site(client: TestClient, path: str) -> None:
    response = client.get(path)
    links = switch_links(response.text)
    assert links, response.text[:500]
    for href in links:
        assert href.startswith("/") and not href.startswith(("//", "/\\")), href
        assert urlsplit(urljoin("http://testserver" + path, href)).netloc == "testserver"


@pytest.mark.backend("spatialite")
def test_the_language_switch_is_built_from_the_matched_route(
    client: TestClient, make_asset: Callable[..., int]
) -> None:
    asset_id = make_asset()
    welsh = client.get(f"/cy/assets/{asset_id}?q=x")
    english = client.get(f"/assets/{asset_id}")
    assert f"/assets/{asset_id}?lang=en&amp;q=x" in switch_links(welsh.text)
    assert f"/cy/assets/{asset_id}?lang=cy" in switch_links(english.text)


# ---- secrets by entropy ------------------------------------------------------------------------


def production(**values: object) -> Settings:
    """Production settings with good secrets unless overridden (no database behind them)."""
    fields: dict[str, object] = {
        "database_url": NO_DB,
        "env": "production",
        "secret_key": secrets.token_urlsafe(32),
        "smtp_host": "127.0.0.1",
        "base_url": "https://assetmap.example",
        **values,
    }
    return Settings(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "weak", [" " * 32, "a" * 40, "passwordpasswordpasswordpassword", "ab" * 20, "0123" * 9]
)
def test_production_refuses_a_long_but_predictable_secret_key(weak: str) -> None:
    with pytest.raises(InsecureSettings, match="ASSETMAP_SECRET_KEY is too predictable"):
        create_app(production(secret_key=weak))


def test_production_refuses_a_long_but_predictable_admin_or_metrics_token() -> None:
    with pytest.raises(InsecureSettings, match="ASSETMAP_ADMIN_TOKEN is too predictable"):
        create_app(production(admin_token=" " * 32))
    with pytest.raises(InsecureSettings, match="ASSETMAP_METRICS_TOKEN is too predictable"):
        create_app(production(metrics_token="metrics"))


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(32), lambda: secrets.token_hex(16)])
def test_production_accepts_a_random_secret(make: Callable[[], str]) -> None:
    for _ in range(20):
        secret = make()
        assert estimated_bits(secret) >= MIN_SECRET_BITS
        app = create_app(production(secret_key=secret, admin_token=make()))
        assert app.state.settings.secret_key.get_secret_value() == secret


def test_the_refusal_does_not_repeat_the_secret() -> None:
    with pytest.raises(InsecureSettings) as refused:
        create_app(production(secret_key="hunter2" * 6))
    assert "hunter2" not in str(refused.value)


# ---- absolute links ----------------------------------------------------------------------------


def hrefs(body: dict[str, Any]) -> list[str]:
    """The links of an OGC response."""
    return [link["href"] for link in body["links"]]


@pytest.mark.backend("spatialite")
def test_production_links_come_from_the_base_url_never_the_host_header(
    settings: Settings, make_asset: Callable[..., int]
) -> None:
    make_asset()
    live = settings.model_copy(
        update={
            "env": "production",
            "secret_key": SecretStr(secrets.token_urlsafe(32)),
            "admin_token": None,
            "smtp_host": "127.0.0.1",
            "base_url": "https://maps.council.example",
        }
    )
    with TestClient(create_app(live)) as client:
        items = client.get(
            "/ogc/collections/assets/items?limit=1", headers={"Host": "evil.example"}
        )
    assert items.status_code == 200, items.text
    links = hrefs(items.json())
    assert links and all(h.startswith("https://maps.council.example/ogc/") for h in links)
    assert "evil.example" not in items.text


@pytest.mark.backend("spatialite")
def test_a_base_url_with_a_path_prefix_keeps_it_in_every_link(
    settings: Settings, make_asset: Callable[..., int]
) -> None:
    make_asset()
    make_asset(name_en="Second")
    prefixed = settings.model_copy(update={"base_url": "https://council.example/assetmap/"})
    with TestClient(create_app(prefixed)) as client:
        items = client.get("/ogc/collections/assets/items?limit=1")
        created = client.post("/api/v1/assets", json=asset_body(), headers=ADMIN)
    links = hrefs(items.json())
    assert len(links) >= 2  # self and next
    assert all(h.startswith("https://council.example/assetmap/ogc/collections/") for h in links)
    assert created.headers["location"].startswith("https://council.example/assetmap/api/v1/assets/")


@pytest.mark.backend("spatialite")
def test_in_development_without_a_base_url_the_host_is_used(
    client: TestClient, make_asset: Callable[..., int]
) -> None:
    make_asset()
    items = client.get("/ogc/collections/assets/items?limit=1", headers={"Host": "dev.local:8000"})
    assert hrefs(items.json())[0].startswith("http://dev.local:8000/ogc/")


# ---- CSP nonces ----------------------------------------------------------------------------------


def nonce_of(policy: str) -> str:
    """The nonce a policy allows (script-src and style-src share it)."""
    found = set(re.findall(r"'nonce-([^']+)'", policy))
    assert len(found) == 1, policy
    return found.pop()


@pytest.mark.backend("spatialite")
def test_pages_allow_no_inline_script_or_style_but_this_responses_nonce(client: TestClient) -> None:
    first = client.get("/").headers["content-security-policy"]
    second = client.get("/").headers["content-security-policy"]
    assert "'unsafe-inline'" not in first
    directives = {d.split()[0]: d.split()[1:] for d in first.split("; ")}
    nonce = nonce_of(first)
    assert directives["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert directives["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert len(nonce) >= 22 and nonce != nonce_of(second)


@pytest.mark.backend("spatialite")
def test_a_page_knows_the_nonce_its_policy_allows(settings: Settings) -> None:
    from fastapi import Request
    from fastapi.responses import HTMLResponse

    app = create_app(settings)

    @app.get("/nonce-probe", include_in_schema=False)
    def probe(request: Request) -> HTMLResponse:
        # What render_page gives templates as csp_nonce.
        return HTMLResponse(f'<script nonce="{request.state.csp_nonce}">1</script>')

    with TestClient(app) as client:
        response = client.get("/nonce-probe")
    nonce = nonce_of(response.headers["content-security-policy"])
    assert response.text == f'<script nonce="{nonce}">1</script>'


@pytest.mark.backend("spatialite")
def test_no_page_template_has_an_inline_style_attribute_or_an_unnonced_inline_script() -> None:
    from app.web.templating import TEMPLATES_DIR

    for template in TEMPLATES_DIR.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle\s*=", text), template.name
        assert not re.search(r"<style(?![^>]*nonce=)", text), template.name
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or "application/json" in tag or "nonce=" in tag, (template, tag)


# ---- signed-in residents' writes ---------------------------------------------------------------


def test_a_residents_writes_are_limited_per_account_across_api_and_pages(
    settings: Settings, session: Session, make_asset: Callable[..., int], patches: Patches
) -> None:
    asset_id = make_asset(location={"type": "Point", "coordinates": list(patches.west_point)})
    app = create_app(settings.model_copy(update={"resident_write_limit": "3/hour"}))
    resident = signed_in_client(app, session, settings, "resident", "res@example.org")
    other = signed_in_client(app, session, settings, "resident", "other@example.org")
    with resident, other:
        api = resident.post("/api/v1/suggestions", json=suggestion(patches))
        use = resident.put(f"/api/v1/assets/{asset_id}/use")
        page = resident.post(
            f"/cy/assets/{asset_id}/use", data={"use": "no"}, follow_redirects=False
        )
        refused = resident.post("/api/v1/suggestions", json=suggestion(patches))
        refused_page = resident.post(
            f"/assets/{asset_id}/use", data={"use": "yes"}, follow_redirects=False
        )
        others = other.post("/api/v1/suggestions", json=suggestion(patches))
    assert (api.status_code, use.status_code, page.status_code) == (201, 200, 303), use.text
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert refused_page.status_code == 429
    assert others.status_code == 201  # per account, not for everybody


def test_staff_writes_are_not_counted_as_a_residents(
    settings: Settings, session: Session, patches: Patches
) -> None:
    app = create_app(settings.model_copy(update={"resident_write_limit": "1/hour"}))
    with signed_in_client(app, session, settings, "connector", "con@example.org") as connector:
        answers = [
            connector.post("/api/v1/suggestions", json=suggestion(patches)) for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [201, 201, 201]


# ---- what anonymous answers tell ---------------------------------------------------------------


def test_an_anonymous_suggestion_is_answered_with_a_receipt_not_an_id(
    client: TestClient, patches: Patches
) -> None:
    first = client.post("/api/v1/suggestions", json=suggestion(patches)).json()
    second = client.post("/api/v1/suggestions", json=suggestion(patches, name_en="Other")).json()
    for answer in (first, second):
        assert "id" not in answer and answer["status"] == "pending"
        assert re.fullmatch(r"[0-9a-f]{24}", answer["receipt"])
    assert first["receipt"] != second["receipt"]
    assert str(int(first["receipt"], 16) + 1) not in second["receipt"]


def test_an_anonymous_report_is_answered_with_a_receipt_not_an_id(
    client: TestClient, make_asset: Callable[..., int]
) -> None:
    asset_id = make_asset()
    answer = client.post(f"/api/v1/assets/{asset_id}/reports", json={"problem": "closed"}).json()
    assert "id" not in answer and re.fullmatch(r"[0-9a-f]{24}", answer["receipt"])


def test_a_signed_in_suggester_also_gets_the_id_their_contributions_show(
    client: TestClient, patches: Patches, make_user: Callable[..., dict[str, str]]
) -> None:
    resident = make_user("resident")
    answer = client.post("/api/v1/suggestions", json=suggestion(patches), headers=resident).json()
    mine = client.get("/api/v1/contributions", headers=resident).json()
    assert isinstance(answer["id"], int) and answer["receipt"]
    assert [s["asset_id"] for s in mine["suggestions"]] == [answer["id"]]
