"""Reading a posted page form: every field's values, in the order given.

Forms are posted as application/x-www-form-urlencoded (or multipart without files); Starlette
parses them (python-multipart). Anything else reads as an empty form, which the page's own
checks then reject field by field.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.errors import InvalidInput

# More fields than the largest form has (the connector's asset form: about 60).
MAX_FIELDS = 400
Form = dict[str, list[str]]


async def read_form(request: Request) -> Form:
    """The posted fields, each with its list of values (ticked checkboxes give several)."""
    fields: Form = {}
    async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
        for name, value in form.multi_items():
            if not isinstance(value, str):
                raise InvalidInput(("body", name), "files cannot be sent with this form")
            fields.setdefault(name, []).append(value)
    return fields


FormDep = Annotated[Form, Depends(read_form)]
