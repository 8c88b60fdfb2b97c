""" "My contributions": what the signed-in resident has given the map, and where each stands
(suggestions, reports, "I use this", offers of help, gaps and introduction requests)."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.http.access import SignedIn
from app.http.deps import SessionDep
from app.i18n import translations
from app.models import User
from app.services.coproduction.contributions import Contributions, contributions_of
from app.web.language import page_language
from app.web.routing import PageRouter
from app.web.search import theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page

NOTHING = Contributions([], [], [], [], [], [])


def status_words(lang: str) -> dict[str, str]:
    """Every status a contribution can have, in words a resident understands."""
    _ = translations(lang).gettext
    return {
        "pending": _("Waiting for a community connector"),
        "published": _("On the map"),
        "rejected": _("Not added"),
        "archived": _("No longer listed"),
        "open": _("Open"),
        "resolved": _("Put right"),
        "dismissed": _("Looked at: nothing to change"),
        "confirmed": _("Confirmed: you are listed"),
        "declined": _("Declined"),
        "merged": _("Joined with a gap reported before"),
        "done": _("Done"),
    }


@page("/my/contributions")
def my_contributions(request: Request, session: SessionDep, viewer: SignedIn) -> HTMLResponse:
    """Everything the signed-in user contributed, newest first in each part."""
    language = page_language(request)
    user = session.get(User, viewer.user_id) if viewer.user_id is not None else None
    mine = NOTHING if user is None else contributions_of(session, user)
    return render_page(
        request,
        language,
        "my_contributions.html",
        viewer=viewer,
        mine=mine,
        statuses=status_words(language.lang),
        themes=theme_labels(session, language.lang),
    )
