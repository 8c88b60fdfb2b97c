"""The audit trail page (/connector/audit): who changed what and when, newest first.

One read path with `GET /api/v1/audit` (app/services/audit.list_events): the same parameters
(a GET form; `since` and `until` also take the form's dates, midnight UK time), the same
limits, paging by the same cursor, and the same rules of who reads what: admins every event,
connectors the events of the assets of their patch (asking for another type is a 403, as in the
API), people's locations only as "changed" (DESIGN.md section 4).
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.errors import Forbidden, InvalidInput
from app.http.access import Editor
from app.http.deps import SessionDep, parse_moment
from app.i18n import translations
from app.schemas.audit import AuditQuery
from app.services import audit
from app.web.forms import FieldText, FormFields, Loc, PageForm
from app.web.language import page_language
from app.web.routing import PageRouter
from app.web.templating import render_page

router = PageRouter()
page = router.page

UK = ZoneInfo("Europe/London")
ENTITY_TYPES = ("asset", "deficit", "introduction", "report", "user")
LIMITS = (25, 50, 100, 200, 500)
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Longer values (descriptions, service areas) are cut here: the API has them whole.
SHOWN_CHARACTERS = 160


def _texts(lang: str) -> dict[str, FieldText]:
    _ = translations(lang).gettext
    dated = _("Enter a date, for example 2026-03-31")
    return {
        "entity_type": FieldText(_("Type of record"), _("Choose a type of record")),
        "entity_id": FieldText(_("Record number"), _("Use 64 characters or fewer")),
        "actor": FieldText(_("Changed by"), _("Use 200 characters or fewer")),
        "action": FieldText(_("Change"), _("Use 40 characters or fewer")),
        "since": FieldText(_("Changed on or after"), dated),
        "until": FieldText(
            _("Changed before"),
            _("Enter a date after the one in “Changed on or after”, for example 2026-03-31"),
        ),
        "limit": FieldText(_("Changes on each page"), _("Choose how many to show")),
    }


def _labels(lang: str) -> dict[str, dict[str, str]]:
    _ = translations(lang).gettext
    return {
        "types": {
            "asset": _("Asset"),
            "deficit": _("Service gap"),
            "import": _("Import of a file"),
            "introduction": _("Introduction"),
            "report": _("Report"),
            "user": _("User"),
        },
        "actions": {
            "create": _("Added"),
            "import": _("Imported"),
            "update": _("Changed"),
            "archive": _("Archived"),
            "check": _("Checked"),
            "consent": _("Consent recorded"),
            "consent-expired": _("Consent lapsed"),
            "erase": _("Erased"),
            "delete": _("Deleted"),
            "set-role": _("Role changed"),
            "revoke-tokens": _("Sign-ins revoked"),
        },
    }


def _moment(name: str, text: str | None) -> datetime | None:
    """A date from the form (midnight UK time), else an RFC 3339 date-time as the API takes."""
    if text is not None and DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(("query", name), "not a date") from exc
        return datetime.combine(day, time(), UK).astimezone(UTC)
    return parse_moment(name, text)


def _field_of(loc: Loc) -> str:
    names = [str(part) for part in loc if part not in ("query", "body")]
    return names[0] if names else ""


def _shown(value: Any, empty: str) -> str:
    if value is None or value == "" or value == []:
        return empty
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "…"


def _changes(changes: dict[str, Any], empty: str) -> list[tuple[str, str, str]]:
    """Each changed field as (name, before, after) as shown; a field empty before and after
    (nothing, then an empty list) is left out. A person's place reads "changed" both sides."""
    shown = []
    for name, pair in changes.items():
        if isinstance(pair, list) and len(pair) == 2:
            before, after = _shown(pair[0], empty), _shown(pair[1], empty)
        else:
            before, after = empty, _shown(pair, empty)
        if not before == after == empty:
            shown.append((name, before, after))
    return shown


@dataclass(frozen=True)
class EventRow:
    """One audit event as the page's table shows it."""

    id: int
    when: str
    when_iso: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    link: str | None
    changes: list[tuple[str, str, str]]


def _rows(events: list[dict[str, Any]], lang: str, admin: bool) -> list[EventRow]:
    _ = translations(lang).gettext
    labels, empty = _labels(lang), _("(empty)")
    rows = []
    for event in events:
        moment = datetime.fromisoformat(event["occurred_at"])
        kind, entity_id = event["entity_type"], event["entity_id"]
        link = None
        if entity_id.isdigit() and kind == "asset":
            link = f"/connector/assets/{entity_id}/edit"
        elif entity_id.isdigit() and kind == "user" and admin:
            link = f"/admin/users/{entity_id}"
        rows.append(
            EventRow(
                id=event["id"],
                when=moment.astimezone(UK).strftime("%Y-%m-%d %H:%M"),
                when_iso=event["occurred_at"],
                actor=event["actor"],
                action=labels["actions"].get(event["action"], event["action"]),
                entity_type=labels["types"].get(kind, kind),
                entity_id=entity_id,
                link=link,
                changes=_changes(event["changes"], empty),
            )
        )
    return rows


@page("/connector/audit")
def audit_trail(request: Request, session: SessionDep, viewer: Editor) -> HTMLResponse:
    """The audit trail, filtered as `GET /api/v1/audit` is, newest first, a page at a time."""
    language = page_language(request)
    lang = language.lang
    _ = translations(lang).gettext
    asked = {k: v.strip() for k, v in request.query_params.items() if k != "lang" and v.strip()}
    form = PageForm(
        FormFields({k: [v] for k, v in asked.items()}),
        _texts(lang),
        values=dict(asked),
        field_of=_field_of,
    )
    query = form.validate(AuditQuery, asked)
    found = None
    if query is not None:
        try:
            filters = audit.AuditFilters(
                entity_type=query.entity_type,
                entity_id=query.entity_id,
                actor=query.actor,
                action=query.action,
                since=_moment("since", query.since),
                until=_moment("until", query.until),
            )
            found = audit.list_events(
                session, viewer=viewer, filters=filters, limit=query.limit, cursor=query.cursor
            )
        except InvalidInput as exc:
            if _field_of(exc.loc) in form.texts:
                form.refused_by(exc)
            else:
                form.refuse_all(_("This link to a page of changes no longer works."), status=422)
        except Forbidden as exc:
            form.refused_by(exc, _("You can read the changes to the assets of your patch only."))
    next_link = None
    if found is not None and found.next_cursor is not None:
        kept = [(k, v) for k, v in asked.items() if k != "cursor"]
        next_link = "?" + urlencode([*kept, ("cursor", found.next_cursor)])
    first_link = None
    if "cursor" in asked:
        first_link = "?" + urlencode([(k, v) for k, v in asked.items() if k != "cursor"])
    return render_page(
        request,
        language,
        "audit_trail.html",
        status_code=form.status,
        viewer=viewer,
        rows=_rows(found.events, lang, viewer.is_admin) if found is not None else None,
        values=form.values,
        errors=form.errors,
        labels=form.labels,
        problem=form.problem,
        entity_types=[
            (code, label)
            for code, label in _labels(lang)["types"].items()
            if viewer.is_admin or code == "asset"
        ],
        limits=LIMITS,
        next_link=next_link,
        first_link=first_link,
    )
