"""Routers for pages: every page is registered at /path and at its Welsh twin /cy/path; and
the check that a path to go on to (`next`, back links) stays on this site."""

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from app.web.language import WELSH_PREFIX, localised

Endpoint = Callable[..., Any]


class PageRouter(APIRouter):
    """An APIRouter for HTML pages (left out of the OpenAPI document) whose `page` decorator
    registers each route twice: in the negotiated language and under /cy."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("include_in_schema", False)
        kwargs.setdefault("default_response_class", HTMLResponse)
        super().__init__(**kwargs)

    def page(
        self, path: str, *, methods: Sequence[str] = ("GET",), **options: Any
    ) -> Callable[[Endpoint], Endpoint]:
        """Register `endpoint` for `methods` at `path` and at /cy`path`."""

        def register(endpoint: Endpoint) -> Endpoint:
            for prefix in ("", WELSH_PREFIX):
                self.add_api_route(prefix + path, endpoint, methods=list(methods), **options)
            return endpoint

        return register


def safe_next(value: str | None) -> str | None:
    """`value` if it is a path on this site ('/x', never '//host' or '/\\host'), else None."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 32 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def see_other(path: str, lang: str, done: str | None = None) -> RedirectResponse:
    """After a form is accepted: go on (303) to `path` in the page's language, saying what was
    `done` (the page it lands on shows a notice for it)."""
    url = localised(path, lang) + (f"?done={done}" if done else "")
    return RedirectResponse(url, status_code=303)
