"""The `assetmap` command: database, imports and exports, demo data, and the server."""

from typing import Annotated

import typer

from app.db import make_engine
from app.settings import get_settings

app = typer.Typer(help="assetmap: community assets beside service deficits.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Create or migrate the database (ASSETMAP_DATABASE_URL) and seed the themes taxonomy."""
    from app.migrate import upgrade

    engine = make_engine(get_settings())
    upgrade(engine, revision)
    typer.echo(f"database at {revision} ({engine.url.render_as_string(hide_password=True)})")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    from app.migrate import downgrade

    downgrade(make_engine(get_settings()), revision)
    typer.echo(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API (and pages) with uvicorn."""
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers)
