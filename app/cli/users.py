"""`assetmap users ...`: accounts, roles, patches and API tokens."""

from typing import Annotated

import typer

from app.cli import app, fail, session_scope
from app.errors import AssetmapError
from app.models import ROLES
from app.settings import get_settings

users_app = typer.Typer(help="User accounts, roles and API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")

ACTOR = "cli"
Email = Annotated[str, typer.Option("--email", help="The user's email address.")]
Role = Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")]
Patch = Annotated[
    str | None,
    typer.Option(
        "--patch",
        help="Connectors only: comma-separated area codes they look after (default: all areas).",
    ),
]


def _codes(patch: str | None) -> list[str] | None:
    return [c.strip() for c in patch.split(",") if c.strip()] if patch is not None else None


@users_app.command("create")
def create(
    email: Email,
    role: Role,
    patch: Patch = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    token: Annotated[
        bool, typer.Option("--token", help="Print a one-time API token for the new user.")
    ] = False,
    password: Annotated[
        bool,
        typer.Option("--password", help="Ask for a password (for signing in to the pages)."),
    ] = False,
) -> None:
    """Add a user with a role; with --token, print an API token (shown this once only)."""
    from app.services import users

    secret = (
        typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )
    key = get_settings().secret_key.get_secret_value()
    with session_scope("users") as session:
        try:
            user = users.create_user(
                session,
                email=email,
                role=role,
                actor=ACTOR,
                password=secret,
                display_name=name,
                patch=_codes(patch),
            )
            issued = users.issue_token(session, user, key=key) if token else None
        except AssetmapError as exc:
            fail(exc.message)
        session.commit()
        typer.echo(f"created {user.email} ({user.role}, id {user.id})")
        if issued:
            typer.echo(issued)


@users_app.command("list")
def list_users() -> None:
    """List users: email, role, patch, whether they can sign in."""
    from app.services import users

    with session_scope("users") as session:
        for user in users.list_users(session):
            patch = "all areas" if user.all_areas else f"{len(user.patch)} areas"
            state = "active" if user.active else "inactive"
            typer.echo(f"{user.id}\t{user.email}\t{user.role}\t{patch}\t{state}")


@users_app.command("set-role")
def set_role(email: Email, role: Role, patch: Patch = None) -> None:
    """Change a user's role (and a connector's patch)."""
    from app.services import users

    with session_scope("users") as session:
        try:
            user = users.set_role(session, email=email, role=role, actor=ACTOR, patch=_codes(patch))
        except AssetmapError as exc:
            fail(exc.message)
        session.commit()
        typer.echo(f"{user.email} is now {user.role}")


@users_app.command("revoke-tokens")
def revoke_tokens(email: Email) -> None:
    """Revoke every API token and page session of a user."""
    from app.services import users

    with session_scope("users") as session:
        try:
            user = users.get_user(session, email)
        except AssetmapError as exc:
            fail(exc.message)
        count = users.revoke_tokens(session, user, actor=ACTOR)
        session.commit()
        typer.echo(f"revoked {count} tokens and sessions of {user.email}")
