"""Which language a page is in, and the links between a page and its twin in the other.

Order: the URL (a /cy/ prefix, else ?lang=cy|en), then the language cookie, then
Accept-Language, then English. Only an explicit ?lang= sets the cookie: the language switch
carries it (English page -> /cy/x?lang=cy, Welsh page -> /x?lang=en), so the choice sticks,
while plain /cy/ pages stay cookie-free (cacheable, and the same for every visitor).
"""

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Request, Response

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, from_accept_language

LANG_COOKIE = "assetmap_lang"
WELSH_PREFIX = "/cy"
COOKIE_MAX_AGE = 365 * 24 * 3600
_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class PageLanguage:
    """A page's language, whether ?lang= chose it (to remember), and its path without /cy."""

    lang: str
    chosen: bool
    path: str


def page_language(request: Request) -> PageLanguage:
    """The language of the page at this request's URL (URL, cookie, Accept-Language, English)."""
    path = request.url.path
    asked = request.query_params.get("lang")
    if path == WELSH_PREFIX or path.startswith(WELSH_PREFIX + "/"):
        return PageLanguage("cy", asked == "cy", path.removeprefix(WELSH_PREFIX) or "/")
    if asked in LANGUAGES:
        return PageLanguage(asked, True, path)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return PageLanguage(cookie, False, path)
    negotiated = from_accept_language(request.headers.get("accept-language"))
    return PageLanguage(negotiated or DEFAULT_LANGUAGE, False, path)


def localised(path: str, lang: str) -> str:
    """A site path in a language: '/search' -> '/cy/search' for Welsh, unchanged for English."""
    return WELSH_PREFIX + path if lang == "cy" else path


def twin_path(request: Request, language: PageLanguage) -> str:
    """This page's path without /cy, built from the route that matched (its template, the
    values quoted), never copied from the URL: `/cy//evil.example` must not become a link to
    `//evil.example`. With no route (a 404), the path if it is plainly one of ours, else '/'."""
    template = getattr(request.scope.get("route"), "path", None)
    if isinstance(template, str) and template.startswith("/"):
        welsh = template == WELSH_PREFIX or template.startswith(WELSH_PREFIX + "/")
        bare = template.removeprefix(WELSH_PREFIX) if welsh else template
        params = request.path_params
        path = _PARAMETER.sub(lambda m: quote(str(params.get(m.group(1), "")), safe=""), bare)
        return path if path.startswith("/") else "/" + path
    path = language.path
    if path.startswith(("//", "/\\")) or any(c in path for c in "\\\r\n\t"):
        return "/"
    return path


def twin_url(request: Request, language: PageLanguage) -> str:
    """This page in the other language, with the same query and `lang` (the switch is a choice
    to remember; plain /x may be Welsh by cookie or browser, so English needs it anyway)."""
    other = "en" if language.lang == "cy" else "cy"
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return (
        localised(twin_path(request, language), other) + "?" + urlencode([("lang", other), *query])
    )


def remember(request: Request, response: Response, language: PageLanguage) -> None:
    """Keep a language chosen with ?lang= in the cookie; say what else the page varies by."""
    if language.chosen and request.cookies.get(LANG_COOKIE) != language.lang:
        response.set_cookie(
            LANG_COOKIE,
            language.lang,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    if request.url.path == language.path:  # no /cy prefix: the language may come from headers
        response.headers["Vary"] = "Accept-Language, Cookie"
