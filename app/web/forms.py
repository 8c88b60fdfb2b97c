"""The one form object of the pages: read a posted form, check it, validate it through the API's
own schema once, map what is refused to the form's fields, and show it again with the right
status.

A form page's POST handler reads as parse → one service call → render:

    form = PageForm(fields, texts)                    # texts: label and messages per field
    form.refuse("postcode", "...")                    # a check the schema cannot make
    data = form.validate(SuggestionCreate, body)      # None when anything was refused
    if data is None:
        return show(form)                             # the page again, status form.status
    try:
        service_call(data)
    except InvalidInput as exc:
        form.refused_by(exc)                          # the service's refusal, on its field
        return show(form)

Forms are posted as application/x-www-form-urlencoded (or multipart without files); Starlette
parses them (python-multipart). Anything else reads as an empty form, which the checks then
refuse field by field. Messages are translated by the caller; `errors` keeps the first per
field, in the order the fields come in the form (the error summary's order).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.errors import Conflict, Forbidden, InvalidInput, PreconditionFailed

# More fields than the largest form has (the connector's asset form: about 60).
MAX_FIELDS = 400
# pydantic's error types for a value over its length limit.
TOO_LONG = frozenset({"string_too_long", "too_long"})
# The status a refusal answers with: a value (422), outside the caller's rights (403), changed
# by someone else since the form was opened (412), decided by someone else (409).
STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (PreconditionFailed, 412),
    (Conflict, 409),
    (Forbidden, 403),
    (InvalidInput, 422),
)

Model = TypeVar("Model", bound=BaseModel)
Loc = Sequence[str | int]


# ---- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormFields:
    """A posted form: each name's values, in the order given."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """The first value given for `name`, stripped ('' when none)."""
        found = self.values.get(name)
        return found[0].strip() if found else ""

    def raw(self, name: str) -> str:
        """The first value given for `name` as sent (a password is never stripped)."""
        found = self.values.get(name)
        return found[0] if found else ""

    def version(self) -> int:
        """The record version the form was opened at (its hidden `version` field); -1, never a
        version, when it is missing or not a number, so the change is refused as stale (412)."""
        text = self.get("version")
        return int(text) if text.isascii() and text.isdigit() else -1

    def getlist(self, name: str) -> list[str]:
        """Every value given for `name` (ticked checkboxes)."""
        return list(self.values.get(name, []))

    def __contains__(self, name: object) -> bool:
        return name in self.values


async def read_fields(request: Request) -> FormFields:
    """The posted fields, each with its list of values (ticked checkboxes give several)."""
    values: dict[str, list[str]] = {}
    async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
        for name, value in form.multi_items():
            if not isinstance(value, str):
                raise InvalidInput(("body", name), "files cannot be sent with this form")
            values.setdefault(name, []).append(value)
    return FormFields(values)


FieldsDep = Annotated[FormFields, Depends(read_fields)]


# ---- checking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldText:
    """What a form field is called, and what to say when its value is refused."""

    label: str
    invalid: str
    too_long: str = ""


class PageForm:
    """One posted form being checked: the values to show again, and what was refused.

    `texts` names the form's fields in form order (labels and messages, translated). A schema
    error is put on the field `field_of(loc)` names (default: the first part of the location,
    through `aliases`; an unknown name goes to the first field) with the message
    `message(name, error)` gives (default: the field's `too_long` or `invalid` text).
    """

    def __init__(
        self,
        fields: FormFields,
        texts: Mapping[str, FieldText] | None = None,
        *,
        values: dict[str, Any] | None = None,
        aliases: Mapping[str, str] | None = None,
        field_of: Callable[[Loc], str] | None = None,
        message: Callable[[str, ErrorDetails], str] | None = None,
    ) -> None:
        self.fields = fields
        self.texts: Mapping[str, FieldText] = texts or {}
        self.values: dict[str, Any] = values if values is not None else {}
        self.aliases: Mapping[str, str] = aliases or {}
        self._field_of = field_of or self._named_field
        self._message = message or self._field_message
        self._errors: dict[str, str] = {}
        self._status = 422
        self.problem: str | None = None

    # -- what was refused

    def refuse(self, name: str, message: str, *, status: int = 422) -> None:
        """Refuse field `name` with `message` (the first message per field is kept)."""
        self._errors.setdefault(name, message)
        if status != 422:
            self._status = status

    def refuse_all(self, message: str, *, status: int) -> None:
        """Refuse the whole form (someone else changed or decided it first)."""
        self.problem = message
        self._status = status

    def refused_by(self, error: Exception, message: str | None = None) -> None:
        """Put a service's refusal on the form: an InvalidInput on the field its location names
        (message from `message(name, ...)` unless given), anything else with its status."""
        status = next((code for kind, code in STATUS_OF if isinstance(error, kind)), 422)
        if isinstance(error, InvalidInput) and message is None:
            name = self._field_of(error.loc)
            details: ErrorDetails = {
                "type": error.kind,
                "loc": tuple(error.loc),
                "msg": str(error),
                "input": None,
            }
            self.refuse(name, self._message(name, details), status=status)
        elif isinstance(error, InvalidInput):
            self.refuse(self._field_of(error.loc), message or str(error), status=status)
        else:
            self.refuse_all(message or str(error), status=status)

    @property
    def ok(self) -> bool:
        """Nothing refused so far."""
        return not self._errors and self.problem is None

    @property
    def errors(self) -> dict[str, str]:
        """Each refused field's message, in form order (fields outside `texts` last)."""
        ordered = {name: self._errors[name] for name in self.texts if name in self._errors}
        ordered.update({k: v for k, v in self._errors.items() if k not in ordered})
        return ordered

    @property
    def status(self) -> int:
        """The status to show the form with: 200 when nothing was refused."""
        return 200 if self.ok else self._status

    @property
    def labels(self) -> dict[str, str]:
        """The fields' labels (the error summary names each field)."""
        return {name: text.label for name, text in self.texts.items()}

    # -- the schema

    def validate(self, schema: type[Model], body: Mapping[str, Any]) -> Model | None:
        """`body` validated through `schema` once; None (each error on its field) when the
        schema refuses it or a check before it refused something."""
        try:
            data = schema.model_validate(body)
        except ValidationError as exc:
            for item in exc.errors():
                name = self._field_of(item["loc"])
                self.refuse(name, self._message(name, item))
            return None
        return data if self.ok else None

    def _named_field(self, loc: Loc) -> str:
        parts = [str(p) for p in loc if p != "body"]
        name = self.aliases.get(parts[0] if parts else "", parts[0] if parts else "")
        if self.texts and name not in self.texts:
            return next(iter(self.texts))
        return name

    def _field_message(self, name: str, error: ErrorDetails) -> str:
        text = self.texts.get(name)
        if text is None:
            return error["msg"]
        return text.too_long if error["type"] in TOO_LONG and text.too_long else text.invalid
