"""Errors on pages: a translated HTML page in the page's language instead of a JSON body.

app/errors.py decides the status of every error; for a request to a page (any path outside
the API, OGC, static files and docs) it asks `error_page` for the response. A page that needs
a signed-in user sends an anonymous visitor to the sign-in page, and back afterwards.
"""

from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from app.errors import AssetmapError
from app.http.access import get_viewer
from app.services.assets.visibility import ANONYMOUS, Viewer
from app.web.language import localised, page_language
from app.web.templating import render_page

# Paths answered with JSON (or files) whatever the error: everything else is a page.
DATA_PREFIXES = (
    "/api/",
    "/ogc",
    "/cy/ogc",
    "/openreferral",
    "/cy/openreferral",
    "/static/",
    "/tiles/",
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/redoc",
)


def is_page(request: Request) -> bool:
    """Whether this request is for a page (an HTML answer) rather than data."""
    path = request.url.path
    return not any(path == p.rstrip("/") or path.startswith(p) for p in DATA_PREFIXES)


def _viewer(request: Request) -> Viewer:
    """Who is signed in, for the page header (anonymous when that cannot be told)."""
    try:
        return get_viewer(request, request.headers.get("authorization"))
    except (AssetmapError, SQLAlchemyError):  # an error page must not fail on the database
        return ANONYMOUS


def error_page(
    request: Request,
    status: int,
    *,
    fields: list[str] | None = None,
    retry_after: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page for an error `status` (fields: the names of rejected query or path values)."""
    language = page_language(request)
    if status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        sign_in = localised("/sign-in", language.lang) + "?" + urlencode({"next": target})
        return RedirectResponse(sign_in, status_code=303)
    response = render_page(
        request,
        language,
        "error.html",
        status_code=status,
        # 503: the database is unavailable, so do not ask it who is signed in.
        viewer=ANONYMOUS if status == 503 else _viewer(request),
        status=status,
        fields=fields or [],
        retry_minutes=None if retry_after is None else max(1, -(-retry_after // 60)),
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
