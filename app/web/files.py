"""/static: the CSS, Leaflet and other files pages load, served from app/web/static; and
/favicon.ico, which browsers ask for whatever a page says."""

from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

from app.http.access import PUBLIC

STATIC_DIR = Path(__file__).resolve().parent / "static"
FAVICON = STATIC_DIR / "favicon.ico"
# A day: the icon rarely changes, and browsers ask for it on every site they open.
FAVICON_CACHE = "public, max-age=86400"

# A route rather than a mount, so that it declares its access rule like every other route.
router = APIRouter(include_in_schema=False, dependencies=[Depends(PUBLIC)])
_files = StaticFiles(directory=STATIC_DIR, check_dir=False)


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
async def static_file(path: str, request: Request) -> Response:
    """A file under app/web/static (ETag and Last-Modified; 404 outside it or when missing)."""
    return await _files.get_response(path, request.scope)


@router.api_route("/favicon.ico", methods=["GET", "HEAD"])
def favicon() -> FileResponse:
    """The site's icon (16, 32 and 48 px), for browsers that ask for /favicon.ico."""
    return FileResponse(
        FAVICON, media_type="image/vnd.microsoft.icon", headers={"Cache-Control": FAVICON_CACHE}
    )
