"""Where a resident's form says: a click on the map or a postcode, and the map to click on.

Each resident form posts back to its own page as a plain urlencoded form, so it works without
JavaScript: a postcode gives the place. With JavaScript a click on the map fills the hidden
lon/lat inputs instead (static/js/pick-location.js).
"""

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.i18n import translations
from app.maps.base import Basemap, MapParts, new_map, page_parts
from app.services.assets.records import extent_of_assets
from app.services.assets.visibility import ANONYMOUS, Viewer
from app.services.needs.postcodes import lookup_postcode
from app.settings import Settings
from app.spatial.geometry import check_lon_lat
from app.web.forms import FormFields, PageForm

# Pages show no person-linked asset to anyone: residents' forms are about what the public sees.
PUBLIC_VIEW = replace(ANONYMOUS, with_people=False)
# The map to pick a place on, when no published asset says where the map is: Wales.
WALES = (-5.35, 51.35, -2.65, 53.45)
Point = tuple[float, float]


def place_texts(lang: str) -> dict[str, str]:
    """What to say when the form gives no place, an unknown postcode or a bad map click."""
    _ = translations(lang).gettext
    return {
        "none": _("Enter a postcode, or choose the place on the map"),
        "unknown": _("We do not know this postcode: check it, or choose the place on the map"),
        "clicked": _("The place chosen on the map is not valid: choose it again"),
    }


def clicked_point(fields: FormFields) -> Point | None:
    """The point chosen on the map (the hidden lon and lat inputs), None when there is none;
    ValueError when they are not a WGS84 position."""
    lon, lat = fields.get("lon"), fields.get("lat")
    if not lon and not lat:
        return None
    point = float(lon), float(lat)
    check_lon_lat(*point)
    return point


def point_or_none(fields: FormFields) -> Point | None:
    """The point chosen on the map to show again, None when there is none or it is not valid."""
    try:
        return clicked_point(fields)
    except ValueError:
        return None


def find_place(session: Session, form: PageForm, lang: str) -> Point | None:
    """Where the form says: the map click, else the postcode's centre (looked up here). None,
    with the postcode field refused, when neither gives a place."""
    texts = place_texts(lang)
    try:
        point = clicked_point(form.fields)
    except ValueError:
        form.refuse("postcode", texts["clicked"])
        return None
    if point is not None:
        return point
    postcode = form.fields.get("postcode")
    if not postcode:
        form.refuse("postcode", texts["none"])
        return None
    try:
        found = lookup_postcode(session, postcode)
    except ValueError:
        return None  # not a postcode at all: the schema says so, with the field's own message
    except NotFound:
        form.refuse("postcode", texts["unknown"])
        return None
    return found.lon, found.lat


def place_in_body(form: PageForm, lang: str) -> dict[str, Any]:
    """The place of a resident's form as its schema takes it: {"near": [lon, lat]} for a map
    click, else {"postcode": ...} (looked up by the service); {} with the postcode field refused
    when there is neither or the click is not valid."""
    texts = place_texts(lang)
    try:
        near = clicked_point(form.fields)
    except ValueError:
        form.refuse("postcode", texts["clicked"])
        return {}
    if near is not None:
        return {"near": list(near)}
    if form.fields.get("postcode"):
        return {"postcode": form.fields.raw("postcode")}
    form.refuse("postcode", texts["none"])
    return {}


def picker_for(
    session: Session, settings: Settings, viewer: Viewer, lang: str, form: PageForm
) -> tuple[MapParts | None, str]:
    """The map to choose the form's place on, for a signed-in viewer (the form is for them
    only; others are asked to sign in): (None, "") otherwise."""
    if not viewer.signed_in:
        return None, ""
    return pick_map(session, settings, lang, form.values.get("point"))


def pick_map(
    session: Session, settings: Settings, lang: str, point: Point | None
) -> tuple[MapParts, str]:
    """A map to choose a place on (around `point`, else the published assets, else Wales) and
    the id of its element, for pick-location.js."""
    label = translations(lang).gettext("Map: choose the place")
    if point is not None:
        lon, lat = point
        bounds = (lon - 0.005, lat - 0.003, lon + 0.005, lat + 0.003)
    else:
        extent = extent_of_assets(session, viewer=PUBLIC_VIEW)
        bounds = (extent.minx, extent.miny, extent.maxx, extent.maxy) if extent else WALES
    parts = page_parts(
        new_map(Basemap.from_settings(settings), label=label, lang=lang, bounds=bounds)
    )
    return parts, parts.element_id
