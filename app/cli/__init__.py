"""The `assetmap` command: database, imports and exports, demo data, and the server.

This module holds the typer apps, the database and server commands and what every command
shares (a session, a progress bar, reports); the import, export and demo commands live in
app/cli/assets.py and app/cli/needs.py and register themselves on these apps.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, Protocol

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from app.db import ConfigurationError, database_unavailable, make_engine, reason
from app.settings import Settings, get_settings


def configuration_problem(exc: BaseException) -> str | None:
    """One line saying what is wrong with the configuration or the database, or None when the
    error is something else (a bug, which keeps its traceback). Never a value from a row or a
    password: pydantic's input values and SQLAlchemy's statement parameters are left out."""
    if isinstance(exc, ValidationError) and exc.title == Settings.__name__:
        problems = [
            f"ASSETMAP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors(include_input=False, include_url=False)
        ]
        return "; ".join(p.replace("Value error, ", "") for p in problems)
    if isinstance(exc, ConfigurationError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        where = _database_shown()
        if database_unavailable(exc):
            return f"cannot use the database at {where}: {reason(exc)}"
        return f"the database at {where} refused the command: {reason(exc)}"
    from app.http.security import InsecureSettings

    if isinstance(exc, InsecureSettings):
        return str(exc).splitlines()[0]
    return None


def _database_shown() -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(get_settings().database_url).render_as_string(hide_password=True)
    except Exception:  # the URL itself is what is wrong
        return "ASSETMAP_DATABASE_URL"


class CommandGroup(TyperGroup):
    """Runs a command; a configuration or database problem ends it with one line on stderr
    and exit status 2, not a traceback (which may hold row values)."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command, turning configuration and database problems into one line."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            problem = configuration_problem(exc)
            if problem is None:
                raise
            typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(2) from None


# Locals in tracebacks would print rows (people's names, emails) on the terminal.
app = typer.Typer(
    cls=CommandGroup,
    help="assetmap: community assets beside service deficits.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema, backups and restores.", no_args_is_help=True)
import_app = typer.Typer(help="Load data from files.", no_args_is_help=True)
export_app = typer.Typer(help="Write data to files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")

DryRun = Annotated[bool, typer.Option("--dry-run", help="Check and report; write nothing.")]
PROBLEMS_SHOWN = 200


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Create or migrate the database (ASSETMAP_DATABASE_URL) and seed the themes taxonomy."""
    from app.migrate import upgrade

    engine = make_engine(get_settings())
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()
    typer.echo(f"database at {revision} ({engine.url.render_as_string(hide_password=True)})")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    from app.migrate import downgrade

    engine = make_engine(get_settings())
    try:
        downgrade(engine, revision)
    finally:
        engine.dispose()
    typer.echo(f"database at {revision}")


@db_app.command("backup")
def db_backup(
    out: Annotated[Path, typer.Argument(help="The backup file to write.", dir_okay=False)],
) -> None:
    """Back up the database, safely while the app writes (SpatiaLite: SQLite's online backup
    API; PostGIS: pg_dump custom format). Never copy a live SpatiaLite file instead."""
    from app.services.backups import BackupError, backup

    try:
        backup(get_settings(), out)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"backed up the database to {out} ({out.stat().st_size:,} bytes)")


@db_app.command("restore")
def db_restore(
    source: Annotated[Path, typer.Argument(help="A file made by `assetmap db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking first.")
    ] = False,
) -> None:
    """Replace the database with a backup, migrate it if older, and erase again everyone
    erased since it was taken (tombstones from the erasure ledger and the replaced database)."""
    from app.services.backups import BackupError, restore

    settings = get_settings()
    where = _database_shown()
    if not yes and not typer.confirm(f"Replace everything in {where} with {source}?"):
        fail("nothing restored")
    try:
        report = restore(settings, source)
    except BackupError as exc:
        fail(str(exc))
    upgraded = ", migrated to this version" if report.upgraded else ""
    who = "person" if len(report.erased_again) == 1 else "people"
    ids = f": {', '.join(map(str, report.erased_again))}" if report.erased_again else ""
    typer.echo(
        f"restored {source} into {where}{upgraded}; "
        f"erased again {len(report.erased_again)} {who} erased since the backup{ids}"
    )


# One JSON object per line, each with its request's id (app/http/log_format.py).
from app.http.log_format import LOG_CONFIG  # noqa: E402


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: ASSETMAP_WORKERS, 1).", min=1, max=64),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Reverse proxies (addresses or networks, comma-separated) whose "
            "X-Forwarded-For is believed (default: ASSETMAP_FORWARDED_ALLOW_IPS, 127.0.0.1)."
        ),
    ] = None,
) -> None:
    """Serve the API (and pages) with uvicorn."""
    import os

    import uvicorn

    from app.http.security import check_production_settings

    if forwarded_allow_ips is not None:
        # The worker processes read their settings from the environment.
        os.environ["ASSETMAP_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
        get_settings.cache_clear()
    # Check the configuration here, where a problem is one line, not a traceback per worker.
    # The database may be down: the app starts anyway and answers 503 until it is back.
    settings = get_settings()
    check_production_settings(settings)
    make_engine(settings, serving=True).dispose()

    # access_log off: uvicorn's lines hold query strings (places); app/http/access_log.py does not.
    # proxy_headers off: the app trusts proxies itself (app/http/proxies.py), from its settings.
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        access_log=False,
        proxy_headers=False,
        log_config=LOG_CONFIG,
    )


# ---- shared by the import, export and demo commands ---------------------------------------------


@contextmanager
def session_scope(table: str = "assets") -> Iterator[Any]:
    """A session on ASSETMAP_DATABASE_URL (schema checked); the engine is closed afterwards."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    engine = make_engine(get_settings())
    try:
        if not inspect(engine).has_table(table):
            fail(f"the database has no {table} table yet: run `assetmap db upgrade` first")
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def fail(message: str) -> NoReturn:
    """Stop with exit status 2 and a message: the input as a whole cannot be used."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on the terminal (nothing when output is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        yield advance


def print_import_report(report: Any) -> None:
    """Print an asset or deficit import report (app.services.imports.assets.ImportReport)."""
    where = "line" if report.format == "csv" else "feature"
    name = report.path.name
    if not report.ok:
        numbers = {p.number for p in report.problems}
        typer.echo(
            f"{name}: {len(numbers)} of {report.records} records cannot be imported; "
            "nothing was written.",
            err=True,
        )
        for problem in report.problems[:PROBLEMS_SHOWN]:
            typer.echo(f"  {where} {problem.number}: {problem.field}: {problem.reason}", err=True)
        _more(len(report.problems))
        return
    verb = "would be" if report.dry_run else ""
    typer.echo(
        f"{name} ({report.format}): {report.records} records: "
        f"{report.created} {verb} created, {report.updated} {verb} updated, "
        f"{report.unchanged} unchanged".replace("  ", " ")
        + (" (dry run: nothing written)" if report.dry_run else "")
    )
    if report.unkeyed:
        typer.echo(
            f"  note: {report.unkeyed} records have neither source_id nor id; "
            "importing this file again creates them again"
        )


class CheckedReport(Protocol):
    """A report that sums itself up and lists its problems (areas, indicators, postcodes)."""

    @property
    def ok(self) -> bool:
        """True when nothing stops the import."""
        ...

    @property
    def problems(self) -> list[Any]:
        """What stops it; str() of each says where and why."""
        ...

    def summary(self) -> str:
        """What changed (or would)."""
        ...


def print_checked_report(name: str, report: CheckedReport) -> None:
    """Print a report whose problems say where they are (str(problem)) and a summary line."""
    if not report.ok:
        count = len(report.problems)
        typer.echo(
            f"{name}: {count} {'problem' if count == 1 else 'problems'}; nothing was written.",
            err=True,
        )
        for problem in report.problems[:PROBLEMS_SHOWN]:
            typer.echo(f"  {problem}", err=True)
        _more(len(report.problems))
        return
    typer.echo(f"{name}: {report.summary()}")


def _more(count: int) -> None:
    if count > PROBLEMS_SHOWN:
        typer.echo(f"  ... and {count - PROBLEMS_SHOWN} more", err=True)


# The commands register themselves on the apps above when their modules are imported.
from app.cli import assets, mail, needs, people, places, users  # noqa: E402, F401
