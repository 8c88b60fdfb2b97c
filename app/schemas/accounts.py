"""A resident's own account as the sign-up form, the account page and the API take it."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.schemas.users import MIN_PASSWORD
from app.vocabularies import DIGESTS, LANGUAGES

Language = Literal[LANGUAGES]  # type: ignore[valid-type]
Digest = Literal[DIGESTS]  # type: ignore[valid-type]
Password = Annotated[str, Field(min_length=MIN_PASSWORD, max_length=1000)]
DisplayName = (
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None
)


class AccountCreate(BaseModel):
    """Sign up: an email address, a password (at least 10 characters), an optional name, and
    the language emails come in."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, Field(max_length=320)]
    password: Password
    display_name: DisplayName = None
    language: Language = "en"


class AccountChange(BaseModel):
    """One's own details: name, the language emails come in, and (connectors, planners and
    admins) how often the digest of new work comes."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName = None
    language: Language
    digest: Digest | None = None


class PasswordChange(BaseModel):
    """A new password, with the current one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1000)
    new_password: Password


class PasswordReset(BaseModel):
    """Ask for a password reset link by email."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)


class AccountDelete(BaseModel):
    """Delete one's own account: the password, to be sure it is them."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=1000)


class Accepted(BaseModel):
    """What happens next, in words (the same whether or not the address has an account)."""

    detail: str


class AccountRead(BaseModel):
    """One's own account (never the password)."""

    id: int
    email: str
    display_name: str | None
    role: str
    language: str
    digest: str | None
    email_confirmed: bool
