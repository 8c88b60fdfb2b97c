"""The OGC API's pages for people who click its links (`f=html`, or a browser's Accept).

The documents /ogc answers as JSON are shown as pages in the site's style (the page layer's
Jinja templates under app/web/templates/ogc/, in English or Welsh): what they hold is given to
the templates as values, autoescaped, never as template text. The Welsh pages are the same
routes under /cy/ogc. An error of a page is a page (404, 400 naming the parameter); a client
that asked for JSON, or an invalid `f`, gets the OGC exception body (app/errors.py).
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from app.errors import (
    STATUS,
    AssetmapError,
    DatabaseUnavailable,
    InvalidInput,
    TooManyRequests,
)
from app.web.errors import error_page
from app.web.language import WELSH_PREFIX, localised, page_language
from app.web.templating import render_page

PREFIX = "/ogc"
HTML_TYPES = ("text/html", "application/xhtml+xml")


def _quality(part: str) -> tuple[str, float]:
    media, *parameters = (p.strip() for p in part.split(";"))
    quality = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return media.lower(), quality


def wants_html(request: Request) -> bool:
    """Whether to answer with a page: `f=html`, or no `f` and a browser's Accept (text/html
    preferred to JSON), or the Welsh pages under /cy/ogc."""
    f = request.query_params.get("f")
    if f is not None:
        return f == "html"
    if request.url.path.startswith(WELSH_PREFIX + "/"):
        return True
    html = json = 0.0
    for part in request.headers.get("accept", "").split(","):
        media, quality = _quality(part)
        if media in HTML_TYPES:
            html = max(html, quality)
        elif media == "application/json" or media.endswith("+json"):
            json = max(json, quality)
    return html > 0 and html > json


class OgcRoute(APIRoute):
    """A route of the OGC API whose errors are pages when a person asked for a page (else the
    OGC exception body, app/errors.py)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        """The route's handler, answering its errors with a page when a page was asked for."""
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except (AssetmapError, RequestValidationError) as exc:
                if not wants_html(request):
                    raise
                return _error_page(request, exc)

        return answer


def _error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestValidationError):
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return error_page(request, 400, fields=fields)
    assert isinstance(exc, AssetmapError)
    if isinstance(exc, InvalidInput):
        return error_page(request, 400, fields=[str(exc.loc[-1])] if exc.loc else None)
    status = next(code for cls, code in STATUS.items() if isinstance(exc, cls))
    retry = exc.retry_after if isinstance(exc, TooManyRequests | DatabaseUnavailable) else None
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return error_page(request, status, retry_after=retry, headers=headers)


def ogc_page(request: Request, template: str, **context: Any) -> Response:
    """An OGC document as a page (ogc/<template>) in the page's language, linking to the
    document itself as JSON (`json_url`); `ogc(path, **params)` makes links to other pages."""
    language = page_language(request)
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("f", "lang")]
    return render_page(
        request,
        language,
        f"ogc/{template}",
        ogc=lambda path="", **params: page_url(language.lang, path, params),
        json_url=language.path + "?" + urlencode([*query, ("f", "json")]),
        **context,
    )


def page_url(lang: str, path: str, params: dict[str, Any]) -> str:
    """A page of the OGC API in a language: /ogc/collections?f=html, /cy/ogc/collections."""
    pairs = [(k, v) for k, v in params.items() if v is not None]
    if lang != "cy":
        pairs.append(("f", "html"))
    url = localised(PREFIX + path, lang)
    return url + ("?" + urlencode(pairs, doseq=True) if pairs else "")


def shown(value: Any) -> str:
    """A property's value as text for a table cell (escaped by the template)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def items_page(
    request: Request,
    collection_id: str,
    features: list[dict[str, Any]],
    *,
    matched: int | None,
    next_cursor: str | None,
    page_size: int,
    cursor: str | None,
) -> Response:
    """A page of features as a table of their properties, with links to the first and next
    pages (the same filters)."""
    columns: list[str] = []
    for feature in features:
        columns += [k for k in feature.get("properties") or {} if k not in columns]
    rows = [
        (
            str(feature.get("id", "")),
            [shown((feature.get("properties") or {}).get(c)) for c in columns],
        )
        for feature in features
    ]
    query: dict[str, Any] = {
        k: request.query_params.getlist(k)
        for k in request.query_params
        if k not in ("f", "lang", "cursor", "limit")
    }
    return ogc_page(
        request,
        "items.html",
        collection_id=collection_id,
        columns=columns,
        rows=rows,
        matched=matched,
        next_params={**query, "limit": page_size, "cursor": next_cursor} if next_cursor else None,
        first_params={**query, "limit": page_size} if cursor else None,
    )


def welsh_twin(routes: list[Any]) -> APIRouter:
    """The same routes under /cy/ogc, for the pages in Welsh (out of the API definition)."""
    welsh = APIRouter(prefix=WELSH_PREFIX + PREFIX, include_in_schema=False)
    for route in routes:
        if isinstance(route, APIRoute):
            welsh.add_api_route(
                route.path.removeprefix(PREFIX),
                route.endpoint,
                methods=sorted(route.methods or ()),
                name=f"cy_{route.name}",
                dependencies=route.dependencies,
                response_class=route.response_class,
                route_class_override=type(route),
            )
    return welsh
