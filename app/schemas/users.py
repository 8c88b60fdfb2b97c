"""Users as an admin adds or changes them on the admin pages (app/web/admin_users.py)."""

from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from app.schemas.codes import AreaCode
from app.vocabularies import ROLES

Role = Literal[ROLES]  # type: ignore[valid-type]
# The shortest password accepted (services/users.hash_password refuses shorter ones too).
MIN_PASSWORD = 10
# More areas than any one connector looks after (a whole local authority is one code).
MAX_PATCH = 500


class UserChange(BaseModel):
    """A user's role and, for a connector, the area codes of their patch (None: every area)."""

    role: Role
    patch: Annotated[list[AreaCode], Field(min_length=1, max_length=MAX_PATCH)] | None = None


class UserCreate(UserChange):
    """A new user: who they are, their role and patch, and how they will sign in (a password
    for the pages, an API token shown once, or both)."""

    email: Annotated[EmailStr, Field(max_length=320)]
    display_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    password: Annotated[str, Field(min_length=MIN_PASSWORD, max_length=1000)] | None = None
    token: bool = False
