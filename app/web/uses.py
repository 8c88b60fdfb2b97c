""" "I use this" from the asset page: a small POST form (no JavaScript needed) that marks or
unmarks the signed-in resident's use, then goes back (303) to the asset page."""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import RedirectResponse, Response

from app.errors import InvalidInput
from app.http.access import SignedIn
from app.http.deps import MAX_ID, SessionDep
from app.services.coproduction import uses
from app.web.forms import FieldsDep
from app.web.language import localised, page_language
from app.web.routing import PageRouter

router = PageRouter()
page = router.page
AssetId = Annotated[int, Path(ge=1, le=MAX_ID)]


@page("/assets/{asset_id}/use", methods=("POST",))
def say_you_use_it(
    request: Request, session: SessionDep, viewer: SignedIn, asset_id: AssetId, fields: FieldsDep
) -> Response:
    """Mark (`use=yes`) or unmark (`use=no`) the asset as one the resident uses; back to it."""
    answer = fields.get("use")
    if answer not in ("yes", "no"):
        raise InvalidInput(("body", "use"), "yes (I use this) or no (I no longer use this)")
    if answer == "yes":
        uses.mark(session, viewer, asset_id)
    else:
        uses.unmark(session, viewer, asset_id)
    session.commit()
    lang = page_language(request).lang
    return RedirectResponse(localised(f"/assets/{asset_id}", lang) + "#uses", status_code=303)
