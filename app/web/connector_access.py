"""Access errors on the sign-in and connector pages, as pages rather than JSON.

Each route keeps its one access rule (Public, Editor...); `PageErrorRoute` turns what the rule
and the services raise into what a person in a browser needs: not signed in -> 303 to the
sign-in page (coming back afterwards), a role or patch that may not -> a translated 403 page,
something they may not see -> a 404 page, too many attempts -> a 429 page with Retry-After.
"""

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from app.api.access import get_viewer
from app.errors import AssetmapError, Forbidden, NotAuthenticated, NotFound, TooManyRequests
from app.i18n import translations
from app.services.visibility import ANONYMOUS, Viewer
from app.web.language import localised, page_language
from app.web.templating import render_page

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def sign_in_url(request: Request) -> str:
    """The sign-in page in this page's language, coming back here (a GET) afterwards."""
    language = page_language(request)
    target = "/connector"
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return localised("/sign-in", language.lang) + "?" + urlencode({"next": target})


def _viewer(request: Request) -> Viewer:
    try:
        return get_viewer(request, request.headers.get("authorization"))
    except AssetmapError:
        return ANONYMOUS


def error_page(request: Request, status_code: int, *, retry_after: int | None = None) -> Response:
    """A translated page saying why the request was refused (403, 404 or 429)."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    titles = {
        403: _("You cannot use this page"),
        404: _("Page not found"),
        429: _("Too many attempts"),
    }
    texts = {
        403: _(
            "This page is for community connectors and administrators, for the areas they "
            "look after. If you think you should be able to use it, ask an administrator."
        ),
        404: _("There is nothing here, or it is not in the areas you look after."),
        429: _("Please wait a few minutes, then try again."),
    }
    response = render_page(
        request,
        language,
        "connector_error.html",
        status_code=status_code,
        viewer=_viewer(request),
        heading=titles[status_code],
        text=texts[status_code],
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


class PageErrorRoute(APIRoute):
    """An APIRoute whose access and domain errors become pages (see the module docstring)."""

    def get_route_handler(self) -> Handler:
        """The route's handler, wrapped so refusals become pages."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAuthenticated:
                return RedirectResponse(sign_in_url(request), status_code=303)
            except Forbidden:
                return error_page(request, 403)
            except NotFound:
                return error_page(request, 404)
            except TooManyRequests as exc:
                return error_page(request, 429, retry_after=exc.retry_after)

        return handle
