"""/static: the CSS, Leaflet and other files pages load, served from app/web/static."""

from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response
from starlette.staticfiles import StaticFiles

from app.http.access import PUBLIC

STATIC_DIR = Path(__file__).resolve().parent / "static"

# A route rather than a mount, so that it declares its access rule like every other route.
router = APIRouter(include_in_schema=False, dependencies=[Depends(PUBLIC)])
_files = StaticFiles(directory=STATIC_DIR, check_dir=False)


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
async def static_file(path: str, request: Request) -> Response:
    """A file under app/web/static (ETag and Last-Modified; 404 outside it or when missing)."""
    return await _files.get_response(path, request.scope)
