"""Domain errors, their HTTP statuses (one table), and the handlers that render them.

Routes and services raise these; nothing outside this module builds HTTP error responses.
Validation errors keep FastAPI's shape, so every 422 reads the same:
`{"detail": [{"loc": ["query", "bbox"], "msg": "...", "type": "..."}]}`.
Other errors are `{"detail": "..."}`.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.http.responses import JSONBody


class AssetmapError(Exception):
    """Base of every domain error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AssetmapError):
    """The thing does not exist, or the caller may not see it."""


class InvalidInput(AssetmapError):
    """A value was rejected; `loc` says where (e.g. ('query', 'bbox') or ('body', 'kind'))."""

    def __init__(self, loc: tuple[str | int, ...], message: str, kind: str = "value_error"):
        super().__init__(message)
        self.loc = loc
        self.kind = kind


class NotAuthenticated(AssetmapError):
    """No valid credential was given for an operation that needs one."""


class Forbidden(AssetmapError):
    """The credential is valid but does not allow this operation."""


class PreconditionRequired(AssetmapError):
    """A write must say which version it changes (If-Match)."""


class PreconditionFailed(AssetmapError):
    """The If-Match version is not the current one."""


class Conflict(AssetmapError):
    """The change clashes with existing data (e.g. a duplicate source id)."""


class PayloadTooLarge(AssetmapError):
    """The request body is over the size limit."""


class TooManyRequests(AssetmapError):
    """The caller is over a rate limit; `retry_after` says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class DatabaseUnavailable(AssetmapError):
    """The database cannot be reached or used just now (down, stalled, locked, no free
    connection); `retry_after` says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


# Seconds a client is asked to wait when the database is unavailable.
OUTAGE_RETRY_AFTER = 5

STATUS: dict[type[AssetmapError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    NotAuthenticated: 401,
    Forbidden: 403,
    PreconditionRequired: 428,
    PreconditionFailed: 412,
    Conflict: 409,
    PayloadTooLarge: 413,
    TooManyRequests: 429,
    DatabaseUnavailable: 503,
}


class ErrorBody(BaseModel):
    """A non-validation error: what went wrong, in words."""

    detail: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given error statuses (422 is FastAPI's own)."""
    return {s: {"model": ErrorBody, "description": "Error"} for s in statuses}


def validation_body(loc: tuple[str | int, ...], message: str, kind: str) -> dict[str, Any]:
    """The 422 body for one rejected value."""
    return {"detail": [{"loc": list(loc), "msg": message, "type": kind}]}


class PageErrors(Protocol):
    """How errors on pages are shown (app/web/errors.py): whether a request is for a page, and
    the page for an error status."""

    def is_page(self, request: Request) -> bool: ...

    def error_page(
        self,
        request: Request,
        status: int,
        *,
        fields: list[str] | None = None,
        retry_after: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response: ...


# The OGC API answers errors its own way (OGC API - Features, exception schema): 400 for every
# invalid or unknown query parameter, and a body of `code` and `description`.
OGC_PREFIX = "/ogc"
OGC_CODES = {
    400: "InvalidParameterValue",
    401: "NotAuthenticated",
    403: "Forbidden",
    404: "NotFound",
    413: "PayloadTooLarge",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
}


def is_ogc(request: Request) -> bool:
    """Whether this request is for the OGC API."""
    path = request.url.path
    return path == OGC_PREFIX or path.startswith(OGC_PREFIX + "/")


def ogc_exception(
    status: int, description: str, headers: Mapping[str, str] | None = None
) -> Response:
    """An OGC API exception: `code` and `description`."""
    body = {"code": OGC_CODES.get(status, "ServerError"), "description": description}
    return JSONBody(body, status_code=status, headers=dict(headers) if headers else None)


def _located(loc: Sequence[str | int], message: str) -> str:
    """'kind: unknown value' for a query parameter's error (its name: the location's first
    part after query/path; list items' indexes left out)."""
    names = [str(part) for part in loc[1:] if isinstance(part, str)]
    name = names[0] if names else (str(loc[-1]) if loc else "request")
    return f"{name}: {message}"


def _page_errors(request: Request) -> PageErrors | None:
    """The page renderer when this request is for a page, else None (answer with JSON)."""
    pages: PageErrors | None = getattr(request.app.state, "page_errors", None)
    return pages if pages is not None and pages.is_page(request) else None


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AssetmapError)
    status = next(code for cls, code in STATUS.items() if isinstance(exc, cls))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    retry = exc.retry_after if isinstance(exc, TooManyRequests | DatabaseUnavailable) else None
    if retry is not None:
        headers = {"Retry-After": str(retry)}
    if pages := _page_errors(request):
        fields = [str(exc.loc[-1])] if isinstance(exc, InvalidInput) and exc.loc else None
        return pages.error_page(request, status, fields=fields, retry_after=retry, headers=headers)
    if is_ogc(request):
        if isinstance(exc, InvalidInput):
            return ogc_exception(400, _located(exc.loc, exc.message))
        return ogc_exception(status, exc.message, headers)
    if isinstance(exc, InvalidInput):
        return JSONBody(validation_body(exc.loc, exc.message, exc.kind), status_code=422)
    return JSONBody({"detail": exc.message}, status_code=status, headers=headers)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if pages := _page_errors(request):
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return pages.error_page(request, 422, fields=fields)
    if is_ogc(request):
        described = "; ".join(_located(e.get("loc", ()), _reason(request, e)) for e in exc.errors())
        return ogc_exception(400, described)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": _reason(request, e), "type": str(e.get("type"))}
        for e in exc.errors()
    ]
    return JSONBody({"detail": errors}, status_code=422)


def _reason(request: Request, error: dict[str, Any]) -> str:
    """pydantic's message, made specific where it is too vague to act on."""
    msg = str(error.get("msg", ""))
    if error.get("type") == "json_invalid" and (ctx := error.get("ctx")):
        return f"{msg}: {ctx.get('error')}"
    content_type = request.headers.get("content-type", "")
    if tuple(error.get("loc", ())) == ("body",) and "json" not in content_type:
        # FastAPI passes a non-JSON body on as bytes; say what to send instead.
        return f"send a JSON object with Content-Type: application/json (got {content_type!r})"
    return msg


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if pages := _page_errors(request):
        return pages.error_page(request, exc.status_code, headers=exc.headers)
    if is_ogc(request):
        return ogc_exception(exc.status_code, str(exc.detail), exc.headers)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers a body that is not UTF-8 with a bare 400; make it a 422 like every
        # other unreadable body (invalid JSON), naming the body and the reason.
        reason = f"body is not UTF-8 JSON: {exc.__cause__.reason} at byte {exc.__cause__.start}"
        return JSONBody(validation_body(("body",), reason, "json_invalid"), status_code=422)
    return JSONBody({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


async def database_error(request: Request, exc: Exception) -> Response:
    """A database that is down, stalled or locked: 503 with Retry-After, and one log line per
    outage (app.db.OutageLog) instead of a traceback per request. Other database errors are
    bugs: re-raised, so that they are logged and answered 500 like any other."""
    from app.db import database_unavailable

    if not database_unavailable(exc):
        raise exc
    outages = getattr(request.app.state, "outages", None)
    if outages is not None:
        outages.failed(exc)
    unavailable = DatabaseUnavailable(
        "the database is not available just now; try again shortly", OUTAGE_RETRY_AFTER
    )
    return await _domain_error(request, unavailable)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """An error nothing expected: a 500 (the server error middleware logs it and re-raises)."""
    if pages := _page_errors(request):
        return pages.error_page(request, 500)
    return JSONBody({"detail": "Internal server error"}, status_code=500)


def add_exception_handlers(app: FastAPI, page_errors: PageErrors | None = None) -> None:
    """Render domain, validation and routing errors as JSON bodies with field and reason, or,
    for requests to pages, as pages (`page_errors`, kept on app.state)."""
    app.state.page_errors = page_errors
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(AssetmapError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(PoolTimeout, database_error)
