"""Absolute links (next pages, self, Location) built from the request's path and query.

Where they point: ASSETMAP_BASE_URL (scheme, host and any path prefix, e.g.
https://council.example/assetmap) when it is set, which production requires, so there the
`Host` a request claims never reaches a link; in development, without it, the request's own
scheme and Host.
"""

from urllib.parse import urlencode, urlsplit

from fastapi import Request
from starlette.datastructures import URL

from app.settings import Settings


def _on_public_site(request: Request, url: URL, settings: Settings) -> str:
    if not settings.base_url:
        return str(url)
    base = urlsplit(settings.base_url)
    path = url.path.removeprefix(request.scope.get("root_path", "")) or "/"
    return str(
        url.replace(scheme=base.scheme, netloc=base.netloc, path=base.path.rstrip("/") + path)
    )


def public_url(request: Request, settings: Settings, path: str | None = None) -> str:
    """The request URL (or another path on this server) as clients should see it."""
    url = request.url if path is None else request.url.replace(path=path, query="")
    return _on_public_site(request, url, settings)


def page_url(request: Request, settings: Settings, **params: str | int | None) -> str:
    """The request's URL with these query parameters replaced (None removes one)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return _on_public_site(request, request.url.replace(query=urlencode(query)), settings)
