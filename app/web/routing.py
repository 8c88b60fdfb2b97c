"""Routers for pages: every page is registered at /path and at its Welsh twin /cy/path."""

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.web.language import WELSH_PREFIX

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
