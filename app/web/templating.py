"""Rendering pages: one Jinja environment per language, with that language's catalogue."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.i18n import LANGUAGE_NAMES, translations
from app.services.assets.visibility import ANONYMOUS, Viewer
from app.web.language import PageLanguage, localised, remember, twin_url

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache
def environment(lang: str) -> Environment:
    """The template environment for a language (gettext, ngettext and _ installed)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_page(
    request: Request,
    language: PageLanguage,
    template: str,
    *,
    status_code: int = 200,
    viewer: Viewer | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from a template, in the page's language, with the shell's links filled in;
    `viewer` (who is signed in, if anyone) decides the shell's sign-in or connector links."""
    lang = language.lang
    other = "en" if lang == "cy" else "cy"
    html = (
        environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            other_lang=other,
            other_lang_name=LANGUAGE_NAMES[other],
            twin_url=twin_url(request, language),
            url=lambda path: localised(path, lang),
            viewer=viewer or ANONYMOUS,
            # For any inline <script> or <style>: the page CSP allows only those carrying it.
            csp_nonce=getattr(request.state, "csp_nonce", ""),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status_code)
    remember(request, response, language)
    return response
