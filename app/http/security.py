"""Hardening: security headers on every response, caching, cross-site writes, CORS, and the
settings production refuses.

Three Content-Security-Policies, chosen per response by `content_security_policy`:
- data (JSON, GeoJSON, CSV, errors; anything not HTML): nothing may load, nothing may frame it;
- pages (HTML): scripts, styles and images from this server only, plus inline <script> and
  <style> elements carrying the response's nonce (`request.state.csp_nonce`, `csp_nonce` in
  templates); no other inline script or style, no style="" attribute (maps read their data from
  a JSON element, which is not run; Leaflet positions its panes through the CSSOM, which CSP
  does not govern); images also from `data:` (the numbered markers) and the basemap's tile host
  (ASSETMAP_BASEMAP; with none, no host but this one);
- API docs (/docs, /redoc, when on): the pages policy plus the CDN that FastAPI's Swagger UI
  and ReDoc pages load from, since they are not served locally, and their inline set-up script.
The embeddable map (/embed, /cy/embed) is the one page other sites may frame: its policy is the
pages policy with frame-ancestors from ASSETMAP_EMBED_ANCESTORS, and it has no X-Frame-Options
(whose only values, DENY and SAMEORIGIN, would forbid that). Everything else: DENY.

Caching: a response to a request with credentials (the session cookie or an Authorization
header), or one that sets a cookie, is `Cache-Control: no-store` (it may show people, a
connector's work or who is signed in); files under /static and the favicon keep theirs, and
anonymous public pages and data stay cacheable.

Cross-site writes (`refuse_cross_site`, on every route): an unsafe method from a browser must come
from this site. An Origin header that is not ours (or `null`) is refused (403), whether or not
anyone is signed in (a cross-site sign-in form is login CSRF); without Origin, a cross-site
Sec-Fetch-Site or a Referer from another site is refused. Browsers send Origin on every POST
(Fetch standard), so a request with none of the three is not from a browser riding someone's
cookies (curl, GIS clients, the tests' client) and goes on. Requests with an Authorization
header carry their own credential, not an ambient one: CORS governs those (ASSETMAP_CORS_ORIGINS).
"""

import math
import secrets
from collections import Counter
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import Forbidden
from app.http.access import SESSION_COOKIE
from app.settings import DEV_SECRET_KEY, Settings

# Why each: the one place a reader can check a policy against what a page needs.
_NONCE_SLOT = "__nonce__"  # in the policies made once, replaced by each response's nonce
NONCE_SOURCE = f"'nonce-{_NONCE_SLOT}'"
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
_PAGE_SOURCES = {
    "default-src": ["'self'"],
    "script-src": ["'self'", NONCE_SOURCE],
    "style-src": ["'self'", NONCE_SOURCE],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Swagger UI and ReDoc as FastAPI serves them: scripts and CSS from jsDelivr, ReDoc's fonts
# from Google, favicon from fastapi.tiangolo.com, Swagger's validator badge, ReDoc's blob: worker.
# Their inline set-up script has no nonce, so these pages (off in production) keep
# 'unsafe-inline' and no nonce (a nonce would make browsers ignore 'unsafe-inline').
_DOCS_EXTRA = {
    "script-src": ["'unsafe-inline'", "https://cdn.jsdelivr.net"],
    "style-src": ["'unsafe-inline'", "https://cdn.jsdelivr.net", "https://fonts.googleapis.com"],
    "font-src": ["https://fonts.gstatic.com"],
    "img-src": ["https://fastapi.tiangolo.com", "https://validator.swagger.io"],
    "worker-src": ["blob:"],
}
# Pages other sites may frame (the embeddable map), with and without the Welsh prefix.
EMBED_PATHS = frozenset({"/embed", "/cy/embed"})
HSTS = "max-age=31536000"
WELL_KNOWN_TOKENS = frozenset({"admin", "changeme", "change-me", "secret", "password"})
MIN_SECRET_LENGTH = 32
# Estimated bits (`estimated_bits`): 32 spaces or a word repeated are refused whatever their
# length; `secrets.token_urlsafe(32)` scores about 200, token_hex(16) 98 at the least.
MIN_SECRET_BITS = 80
# Never `no-store`d for being asked with a cookie: the same bytes for everybody.
SHARED_FILES = ("/static/", "/favicon.ico")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class InsecureSettings(ValueError):
    """Production settings that must not be used; the message names each setting and why."""


def tile_source(url_template: str | None) -> str | None:
    """The CSP source of a tile URL template ("https://{s}.tile.x.org/..." -> "https://*.tile.x.org")."""
    if not url_template:
        return None
    parts = urlsplit(url_template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.replace("{s}", "*")  # Leaflet's subdomain placeholder
    return f"{parts.scheme}://{host}"


def _policy(sources: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in sources.items())


def content_security_policy(
    settings: Settings,
    content_type: str,
    *,
    docs: bool = False,
    embed: bool = False,
    nonce: str = _NONCE_SLOT,
) -> str:
    """The Content-Security-Policy for a response of this content type (docs: /docs, /redoc;
    embed: the embeddable map, which the sites in ASSETMAP_EMBED_ANCESTORS may frame) whose
    inline scripts and styles carry `nonce`."""
    if not content_type.lower().startswith("text/html"):
        return DATA_POLICY
    sources = {name: list(values) for name, values in _PAGE_SOURCES.items()}
    # Exactly the configured basemap's host (ASSETMAP_BASEMAP); none: no other host at all.
    tiles = tile_source(settings.basemap_tiles)
    if tiles:
        sources["img-src"].append(tiles)
    if docs:
        for name in ("script-src", "style-src"):
            sources[name].remove(NONCE_SOURCE)
        for name, extra in _DOCS_EXTRA.items():
            sources[name] = sources.get(name, []) + extra
    if embed:
        sources["frame-ancestors"] = settings.embed_ancestors.split()
    return _policy(sources).replace(_NONCE_SLOT, nonce)


def new_nonce() -> str:
    """A fresh CSP nonce (128 random bits, base64url)."""
    return secrets.token_urlsafe(16)


class SecurityHeaders:
    """Add CSP (with this response's nonce), nosniff, Referrer-Policy, X-Frame-Options, HSTS on
    https, and no-store where the answer may be personal, to every response.

    A header the route already set is left alone (but for Cache-Control on personal answers).
    Responses are not buffered: only the start message is touched.
    """

    def __init__(self, app: ASGIApp, settings: Settings, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths
        self._policies = {
            (html, docs): content_security_policy(settings, "text/html" if html else "", docs=docs)
            for html in (False, True)
            for docs in (False, True)
        }
        self._embed_policy = content_security_policy(settings, "text/html", embed=True)
        # TLS often ends at a proxy: a public https base URL counts as https too.
        self._https_base = (settings.base_url or "").startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        docs = path in self.docs_paths
        embed = path in EMBED_PATHS
        https = scope.get("scheme") == "https" or self._https_base
        nonce = new_nonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce
        personal = with_credentials(scope) and not path.startswith(SHARED_FILES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = self._headers(headers, docs, https, embed, nonce, personal)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(
        self,
        headers: list[tuple[bytes, bytes]],
        docs: bool,
        https: bool,
        embed: bool = False,
        nonce: str = "",
        personal: bool = False,
    ) -> list[tuple[bytes, bytes]]:
        if personal or any(name.lower() == b"set-cookie" for name, _ in headers):
            headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        present = {name.lower() for name, _ in headers}
        content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
        html = content_type.lower().startswith(b"text/html")
        # Only the embeddable map's HTML may be framed (its error pages and data may not).
        framed = embed and html
        policy = self._embed_policy if framed else self._policies[(html, docs)]
        wanted = [
            (b"content-security-policy", policy.replace(_NONCE_SLOT, nonce).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if not framed:
            wanted.append((b"x-frame-options", b"DENY"))
        if https:
            wanted.append((b"strict-transport-security", HSTS.encode()))
        return headers + [(name, value) for name, value in wanted if name not in present]


def with_credentials(scope: Scope) -> bool:
    """Whether the request carries the session cookie or an Authorization header."""
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            return True
        if name == b"cookie" and SESSION_COOKIE.encode() + b"=" in value:
            return True
    return False


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def refuse_cross_site(request: Request) -> None:
    """Refuse (403) an unsafe method that a browser sent from another site (see the module's
    docstring for the rule); every route has this dependency."""
    if request.method not in UNSAFE_METHODS or "authorization" in request.headers:
        return
    settings: Settings = request.app.state.settings
    ours = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if settings.base_url:
        ours.add(_origin_of(settings.base_url) or "")
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site")
    referer = request.headers.get("referer")
    if origin is not None:
        allowed = origin.rstrip("/").lower() in ours  # "null" never is
    elif fetch_site is not None:
        allowed = fetch_site in ("same-origin", "none")
    elif referer is not None:
        allowed = _origin_of(referer) in ours
    else:
        allowed = True  # not a browser: nobody's cookies ride on it
    if not allowed:
        raise Forbidden("cross-site request refused; send it from this site")


def cors_options(settings: Settings) -> dict[str, object]:
    """CORSMiddleware keyword arguments for the configured origins (bearer tokens, no cookies)."""
    return {
        "allow_origins": settings.cors_origins,
        "allow_methods": ["GET", "POST", "PATCH", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type", "If-Match"],
        "expose_headers": ["ETag", "Location", "Link"],
        "allow_credentials": False,
    }


def add_security_middleware(app: FastAPI, settings: Settings) -> None:
    """Wire CORS (only when origins are set) and the security headers, outside what is there."""
    pages = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    docs_paths = frozenset(p for p in pages if p and app.openapi_url)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, **cors_options(settings))  # type: ignore[arg-type]
    # Added last, so outermost: CORS preflights and 413s get the headers too.
    app.add_middleware(SecurityHeaders, settings=settings, docs_paths=docs_paths)


def production_problems(settings: Settings) -> list[str]:
    """Why these settings are unsafe for production (empty when they are fine)."""
    problems = []
    secret = settings.secret_key.get_secret_value()
    if secret == DEV_SECRET_KEY:
        problems.append("ASSETMAP_SECRET_KEY is the development default; set a random value")
    elif len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"ASSETMAP_SECRET_KEY is {len(secret)} characters; "
            f"it must be at least {MIN_SECRET_LENGTH}"
        )
    elif estimated_bits(secret) < MIN_SECRET_BITS:
        problems.append(_guessable("ASSETMAP_SECRET_KEY", secret))
    if settings.admin_token is not None:
        token = settings.admin_token.get_secret_value()
        if token.strip().lower() in WELL_KNOWN_TOKENS:
            problems.append("ASSETMAP_ADMIN_TOKEN is a well-known value anyone would guess")
        elif len(token) < MIN_SECRET_LENGTH:
            problems.append(
                f"ASSETMAP_ADMIN_TOKEN is {len(token)} characters; "
                f"it must be at least {MIN_SECRET_LENGTH}"
            )
        elif estimated_bits(token) < MIN_SECRET_BITS:
            problems.append(_guessable("ASSETMAP_ADMIN_TOKEN", token))
    if settings.metrics_token is not None:
        metrics = settings.metrics_token.get_secret_value()
        if estimated_bits(metrics) < MIN_SECRET_BITS:
            problems.append(_guessable("ASSETMAP_METRICS_TOKEN", metrics))
    if not settings.smtp_host:
        problems.append(
            "ASSETMAP_SMTP_HOST is not set: sign-up links, password resets and digests would "
            "only be written to the log, addresses and all"
        )
    if not settings.base_url:
        problems.append(
            "ASSETMAP_BASE_URL is not set: links in email would be built from whatever Host "
            "a request claims"
        )
    return problems


def _shannon_bits(text: str) -> float:
    """The Shannon entropy of the characters of `text` times its length."""
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values()) * size


def estimated_bits(secret: str) -> float:
    """A secret's strength in bits, estimated: the Shannon entropy of its characters times its
    length, counting a value made of one repeated unit ('hunter2hunter2...') as that unit. It
    catches blank, repeated and small-alphabet values, not every weak one."""
    if not secret:
        return 0.0
    size = len(secret)
    period = next(p for p in range(1, size + 1) if secret == (secret[:p] * size)[:size])
    return min(_shannon_bits(secret), _shannon_bits(secret[:period]))


def _guessable(name: str, secret: str) -> str:
    return (
        f"{name} is too predictable (about {estimated_bits(secret):.0f} bits of entropy; "
        f"it needs {MIN_SECRET_BITS}: random text, not a word or a repeated character)"
    )


def check_production_settings(settings: Settings) -> None:
    """Raise InsecureSettings, naming every problem, when env=production has weak secrets."""
    if settings.env != "production":
        return
    problems = production_problems(settings)
    if problems:
        hint = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        raise InsecureSettings(
            "refusing to start with ASSETMAP_ENV=production: " + "; ".join(problems) + f" ({hint})"
        )
