"""Hardening: security headers on every response, CORS only for configured origins, API docs
on or off, and production refusing to start with weak or default secrets."""

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.http.security import (
    DATA_POLICY,
    InsecureSettings,
    SecurityHeaders,
    content_security_policy,
    tile_source,
)
from app.main import create_app
from app.settings import DEV_SECRET_KEY, Settings
from tests.conftest import ADMIN, ADMIN_TOKEN, asset_body

ASSETS = "/api/v1/assets"
ITEMS = "/ogc/collections/assets/items"
STRONG_SECRET = "k3Wq9-ZfT2pL8vR1xN6mB4hJ0sD7cY5gA_eU"  # 36 characters
STRONG_TOKEN = "t0Kn-8uQ3rW6yE1iO9pA2sD5fG7hJ4kL_zXc"
MAP_SITE = "https://maps.example.org"
NO_DB = "sqlite:///:memory:"  # the app connects lazily; these tests never query

# Headers, CORS, docs and settings are the same whatever the database: once is enough.
pytestmark = pytest.mark.backend("spatialite")


def policy(response: httpx.Response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as directive -> sources."""
    directives = [d.split() for d in response.headers["content-security-policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def assert_hardened(response: httpx.Response, *, https: bool = False) -> None:
    """The security headers every response carries (HSTS only over https)."""
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert policy(response)["frame-ancestors"] == ["'none'"]
    assert ("strict-transport-security" in response.headers) is https


def assert_data_policy(response: httpx.Response) -> None:
    """A non-HTML response may load nothing and be framed by nobody."""
    assert_hardened(response)
    assert response.headers["content-security-policy"] == DATA_POLICY


def good_settings(**values: object) -> Settings:
    """Production settings (no database behind them) with good secrets, unless overridden."""
    fields: dict[str, object] = {
        "database_url": NO_DB,
        "env": "production",
        "secret_key": STRONG_SECRET,
        "admin_token": STRONG_TOKEN,
        "smtp_host": "127.0.0.1",
        "base_url": "https://assets.example.org",
    }
    return Settings.model_validate({**fields, **values})


# ---- headers on every kind of response -------------------------------------------------------


def test_json_geojson_and_csv_responses_carry_the_data_policy(client: TestClient) -> None:
    assert client.post(ASSETS, json=asset_body(), headers=ADMIN).status_code == 201
    for fmt, media_type in (
        ("json", "application/json"),
        ("geojson", "application/geo+json"),
        ("csv", "text/csv"),
    ):
        response = client.get(f"{ASSETS}?f={fmt}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media_type)
        assert_data_policy(response)


def test_created_and_written_responses_carry_the_headers(client: TestClient) -> None:
    created = client.post(ASSETS, json=asset_body(), headers=ADMIN)
    assert created.status_code == 201
    assert_data_policy(created)
    url, etag = created.headers["location"], created.headers["etag"]
    patched = client.patch(url, json={"name_en": "Lunch"}, headers={**ADMIN, "If-Match": etag})
    assert patched.status_code == 200
    assert_data_policy(patched)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{ASSETS}/999999", 404),
        ("GET", "/api/v1/no/such/thing", 404),
        ("GET", f"{ASSETS}?bbox=1,2,3", 422),
        ("POST", ASSETS, 401),
        ("PUT", ASSETS, 405),
        ("GET", f"{ITEMS}?bbox=oops", 400),  # OGC API: invalid parameter values are 400
        ("GET", "/ogc/collections/nope", 404),
    ],
)
def test_error_responses_carry_the_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path, json=asset_body())
    assert response.status_code == status, response.text
    assert_data_policy(response)


def test_an_unknown_page_is_a_page_with_the_page_headers(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "path", ["/ogc", "/ogc/api", "/ogc/conformance", "/ogc/collections", ITEMS]
)
def test_ogc_responses_carry_the_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert_data_policy(response)


def test_a_body_refused_before_the_app_still_carries_the_headers(settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    with TestClient(create_app(small)) as client:
        response = client.post(ASSETS, content=b"x" * 2000, headers=ADMIN)
    assert response.status_code == 413
    assert_data_policy(response)


def test_health_check_carries_the_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert_data_policy(response)


def test_hsts_is_sent_over_https_only(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as secure:
        response = secure.get("/healthz")
    assert_hardened(response, https=True)
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(app) as plain:
        assert_hardened(plain.get("/healthz"), https=False)


def test_hsts_is_sent_behind_a_tls_proxy_when_the_base_url_is_https(settings: Settings) -> None:
    proxied = settings.model_copy(update={"base_url": "https://assetmap.example"})
    with TestClient(create_app(proxied)) as client:
        assert_hardened(client.get("/healthz"), https=True)


def _page(request: Request) -> Response:
    return Response("<p>hi</p>", media_type="text/html")


def _framable(request: Request) -> Response:
    return Response("{}", media_type="application/json", headers={"X-Frame-Options": "SAMEORIGIN"})


def test_html_gets_the_page_policy_and_a_header_a_route_set_is_kept() -> None:
    inner = Starlette(routes=[Route("/page", _page), Route("/framable", _framable)])
    app = SecurityHeaders(inner, Settings(database_url=NO_DB), docs_paths=frozenset())
    with TestClient(app) as client:
        page = client.get("/page")
        framable = client.get("/framable")
    assert_hardened(page)
    sent = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]{22})'", sent)
    assert nonce is not None
    assert sent == content_security_policy(
        Settings(database_url=NO_DB), "text/html", nonce=nonce.group(1)
    )
    assert framable.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert framable.headers["content-security-policy"] == DATA_POLICY


# ---- the policies themselves ----------------------------------------------------------------


def test_the_page_policy_allows_local_scripts_only_and_no_other_host() -> None:
    text = content_security_policy(Settings(database_url=NO_DB), "text/html; charset=utf-8")
    directives = {d.split()[0]: d.split()[1:] for d in text.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'", "'nonce-__nonce__'"]  # each response's own
    assert directives["style-src"] == ["'self'", "'nonce-__nonce__'"]
    assert "'unsafe-inline'" not in text
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "https:" not in text


def test_anything_but_html_gets_the_data_policy() -> None:
    settings = Settings(database_url=NO_DB)
    for content_type in ("application/json", "application/geo+json", "text/csv", ""):
        assert content_security_policy(settings, content_type) == DATA_POLICY
    assert content_security_policy(settings, "text/csv", docs=True) == DATA_POLICY


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        ("/static/tiles/{z}/{x}/{y}.png", None),
        (None, None),
    ],
)
def test_a_tile_url_template_becomes_its_csp_source(template: str | None, source: str) -> None:
    assert tile_source(template) == source


# ---- docs ------------------------------------------------------------------------------------


def external_urls(html: str) -> list[tuple[str, str]]:
    """The (tag, URL) of every script, stylesheet and icon a docs page loads from elsewhere."""
    pattern = r"<(script|link)[^>]*?(?:src|href)=[\"']?(https://[^\"'\s>]+)"
    return re.findall(pattern, html)


def source_allows(sources: list[str], url: str) -> bool:
    """Whether a CSP source list allows this absolute URL (by scheme + host)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" in sources


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_policy_allows_everything_the_docs_page_loads(path: str) -> None:
    with TestClient(create_app(Settings(database_url=NO_DB))) as client:
        response = client.get(path)
    assert response.status_code == 200
    assert_hardened(response)
    directives = policy(response)
    urls = external_urls(response.text)
    assert any(tag == "script" for tag, _ in urls), urls  # the page does load from a CDN
    for tag, url in urls:
        is_style = tag == "link" and not url.endswith((".png", ".ico", ".svg"))
        directive = "script-src" if tag == "script" else "style-src" if is_style else "img-src"
        assert source_allows(directives[directive], url), (directive, url)
    assert "'unsafe-inline'" in directives["script-src"]  # the set-up script is inline
    assert "'self'" in directives["connect-src"]  # it fetches /openapi.json


def test_the_docs_policy_stays_on_the_docs_pages() -> None:
    with TestClient(create_app(Settings(database_url=NO_DB))) as client:
        assert client.get("/openapi.json").headers["content-security-policy"] == DATA_POLICY
        assert "cdn.jsdelivr.net" in client.get("/docs").headers["content-security-policy"]


@pytest.mark.parametrize(
    ("env", "docs", "served"),
    [
        ("development", None, True),
        ("test", None, True),
        ("production", None, False),
        ("production", True, True),
        ("development", False, False),
    ],
)
def test_docs_default_on_except_in_good_settings(env: str, docs: bool | None, served: bool) -> None:
    settings = good_settings(env=env, docs=docs)
    with TestClient(create_app(settings)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == (200 if served else 404), path


def test_gis_clients_keep_the_ogc_api_definition_with_docs_off(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"docs": False}))) as client:
        assert client.get("/openapi.json").status_code == 404
        response = client.get("/ogc/api")
    assert response.status_code == 200
    assert ITEMS.removeprefix("/ogc") in response.json()["paths"]


# ---- CORS ------------------------------------------------------------------------------------


@pytest.fixture
def cors_client(settings: Settings) -> Iterator[TestClient]:
    """A client for an app that lets MAP_SITE call it from a browser."""
    allowed = Settings(
        database_url=settings.database_url, admin_token=ADMIN_TOKEN, cors_origins=[MAP_SITE]
    )
    with TestClient(create_app(allowed)) as client:
        yield client


def preflight(client: TestClient, origin: str, method: str = "PATCH") -> httpx.Response:
    """A browser's preflight for a cross-origin write with a token and If-Match."""
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, if-match",
    }
    return client.options(f"{ASSETS}/1", headers=headers)


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get(ASSETS, headers={"Origin": MAP_SITE})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    refused = preflight(client, MAP_SITE)
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-methods" not in refused.headers


def test_a_configured_origin_may_read_and_sees_the_etag(cors_client: TestClient) -> None:
    created = cors_client.post(ASSETS, json=asset_body(), headers={**ADMIN, "Origin": MAP_SITE})
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == MAP_SITE
    exposed = {
        h.strip().lower() for h in created.headers["access-control-expose-headers"].split(",")
    }
    assert {"etag", "location", "link"} <= exposed
    assert "access-control-allow-credentials" not in created.headers
    assert_data_policy(created)


def test_a_configured_origin_passes_the_preflight_for_writes(cors_client: TestClient) -> None:
    response = preflight(cors_client, MAP_SITE)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == MAP_SITE
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type", "if-match"} <= allowed
    assert_hardened(response)


def test_another_origin_is_refused_by_the_configured_app(cors_client: TestClient) -> None:
    other = "https://elsewhere.example"
    assert (
        "access-control-allow-origin"
        not in cors_client.get(ASSETS, headers={"Origin": other}).headers
    )
    response = preflight(cors_client, other)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert_hardened(response)


def test_a_method_outside_the_list_fails_the_preflight(cors_client: TestClient) -> None:
    response = preflight(cors_client, MAP_SITE, method="PUT")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "value",
    [
        '["https://maps.example.org", "http://localhost:5173"]',
        "https://maps.example.org, http://localhost:5173",
        "https://maps.example.org/,http://localhost:5173",
    ],
)
def test_cors_origins_read_from_a_json_list_or_commas(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ASSETMAP_CORS_ORIGINS", value)
    assert Settings().cors_origins == [MAP_SITE, "http://localhost:5173"]


def test_cors_origins_default_to_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSETMAP_CORS_ORIGINS", raising=False)
    assert Settings().cors_origins == []


def test_any_origin_may_be_allowed_explicitly() -> None:
    assert Settings(database_url=NO_DB, cors_origins="*").cors_origins == ["*"]


@pytest.mark.parametrize("value", ["maps.example.org", "https://maps.example.org/app", "ftp://x"])
def test_a_cors_entry_that_is_not_an_origin_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin like"):
        Settings(database_url=NO_DB, cors_origins=[value])


# ---- production refuses weak secrets ---------------------------------------------------------


def test_production_refuses_the_development_secret_key() -> None:
    with pytest.raises(InsecureSettings, match="ASSETMAP_SECRET_KEY is the development default"):
        create_app(good_settings(secret_key=DEV_SECRET_KEY))


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(InsecureSettings, match="ASSETMAP_SECRET_KEY is 31 characters"):
        create_app(good_settings(secret_key="x" * 31))


def test_production_refuses_a_short_admin_token() -> None:
    with pytest.raises(InsecureSettings, match="ASSETMAP_ADMIN_TOKEN is 16 characters"):
        create_app(good_settings(admin_token=ADMIN_TOKEN))


@pytest.mark.parametrize(
    "token", ["admin", "changeme", "change-me", "secret", "password", "Admin "]
)
def test_production_refuses_a_well_known_admin_token(token: str) -> None:
    with pytest.raises(InsecureSettings, match="ASSETMAP_ADMIN_TOKEN is a well-known value"):
        create_app(good_settings(admin_token=token))


def test_production_names_every_problem_at_once() -> None:
    with pytest.raises(InsecureSettings) as refused:
        create_app(good_settings(secret_key=DEV_SECRET_KEY, admin_token="changeme"))
    message = str(refused.value)
    assert "ASSETMAP_SECRET_KEY" in message and "ASSETMAP_ADMIN_TOKEN" in message
    assert "changeme" not in message  # the refusal does not repeat a secret
    assert isinstance(refused.value, ValueError)


def test_production_starts_with_good_secrets(settings: Settings) -> None:
    good = settings.model_copy(
        update={
            "env": "production",
            "secret_key": SecretStr(STRONG_SECRET),
            "admin_token": SecretStr(STRONG_TOKEN),
            "smtp_host": "127.0.0.1",
            "base_url": "http://testserver",
        }
    )
    with TestClient(create_app(good)) as client:
        health = client.get("/healthz")
        created = client.post(
            ASSETS, json=asset_body(), headers={"Authorization": f"Bearer {STRONG_TOKEN}"}
        )
    assert health.status_code == 200
    assert created.status_code == 201, created.text
    assert_data_policy(health)


@pytest.mark.parametrize(
    ("missing", "named"), [("smtp_host", "ASSETMAP_SMTP_HOST"), ("base_url", "ASSETMAP_BASE_URL")]
)
def test_production_refuses_to_start_without_email_or_its_own_address(
    missing: str, named: str
) -> None:
    with pytest.raises(InsecureSettings) as refused:
        create_app(good_settings(**{missing: None}))
    assert named in str(refused.value)


def test_production_starts_on_sqlite_without_an_admin_token() -> None:
    app = create_app(good_settings(admin_token=None))
    assert app.state.settings.admin_token is None
    assert app.state.settings.database_url.startswith("sqlite")


def test_development_and_test_start_with_the_development_secret() -> None:
    for env in ("development", "test"):
        app = create_app(Settings(database_url=NO_DB, env=env))
        assert app.state.settings.secret_key.get_secret_value() == DEV_SECRET_KEY


def test_env_secret_key_and_docs_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSETMAP_ENV", "production")
    monkeypatch.setenv("ASSETMAP_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("ASSETMAP_DOCS", "true")
    read = Settings(database_url=NO_DB)
    assert (read.env, read.secret_key.get_secret_value(), read.docs) == (
        "production",
        STRONG_SECRET,
        True,
    )
    assert read.docs_enabled
    assert STRONG_SECRET not in repr(read)
