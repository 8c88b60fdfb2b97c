"""Absolute links (next pages, self) built from the request."""

from urllib.parse import urlencode, urlsplit

from fastapi import Request

from app.settings import Settings


def public_url(request: Request, settings: Settings, path: str | None = None) -> str:
    """The request URL (or another path on this server) as clients should see it."""
    url = request.url if path is None else request.url.replace(path=path, query="")
    if settings.base_url:
        base = urlsplit(settings.base_url)
        url = url.replace(scheme=base.scheme, netloc=base.netloc)
    return str(url)


def page_url(request: Request, settings: Settings, **params: str | int | None) -> str:
    """The request's URL with these query parameters replaced (None removes one)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    url = request.url.replace(query=urlencode(query))
    if settings.base_url:
        base = urlsplit(settings.base_url)
        url = url.replace(scheme=base.scheme, netloc=base.netloc)
    return str(url)
