"""The `assetmap` command: database, imports and exports, demo data, and the server."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

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


# ---- import, export, demo ------------------------------------------------------------------------

import_app = typer.Typer(help="Load data from files.", no_args_is_help=True)
export_app = typer.Typer(help="Write data to files.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")

IMPORT_HELP = """Import assets from FILE: CSV (lon/lat columns), GeoJSON or GeoPackage (.gpkg).

Without --mapping the file uses assetmap's own columns (what `export assets` writes; any
subset, but kind, a name and a location are needed). With --mapping, another publisher's
columns and categories are mapped first (see data/mappings/README.md).

Each record is matched to an existing asset:\n
1. by source + source_id when it has both (works across databases);\n
2. else by id: an asset exported from this database and edited. An id this database does not
hold yet creates the asset with that id, keeping the file's version and timestamps, so
export -> import -> export into an empty database gives the same file. --new-ids ignores id,
version and timestamps (to merge another database's export into one that has assets);\n
3. else the record is new, and is created again by every import: give it a source_id.

A matched asset is updated only where the file differs, so a re-import changes nothing.
All or nothing: if any record is bad, nothing is written and the problems are listed by line
(CSV, the header is line 1) or feature number. The database is ASSETMAP_DATABASE_URL.
"""


@contextmanager
def _session() -> Iterator[Any]:
    """A session on ASSETMAP_DATABASE_URL (schema checked); the engine is closed afterwards."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    engine = make_engine(get_settings())
    try:
        if not inspect(engine).has_table("assets"):
            _fail("the database has no assets table yet: run `assetmap db upgrade` first")
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@import_app.command("assets", help=IMPORT_HELP)
def import_assets_command(
    file: Annotated[Path, typer.Argument(help="A .csv, .geojson or .gpkg file.")],
    mapping: Annotated[
        Path | None, typer.Option(help="A mapping file for another publisher's columns.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; write nothing.")
    ] = False,
    source: Annotated[
        str | None, typer.Option(help="Source name for records that have none.")
    ] = None,
    new_ids: Annotated[
        bool, typer.Option("--new-ids", help="Ignore the file's id, version and timestamps.")
    ] = False,
) -> None:
    """Import assets from FILE (the help text is IMPORT_HELP)."""
    from app.services.import_formats import SourceFileError
    from app.services.imports import ImportOptions, import_assets
    from app.services.mappings import MappingError, load_mapping

    try:
        parsed = load_mapping(mapping) if mapping is not None else None
    except MappingError as exc:
        _fail(str(exc))
    options = ImportOptions(
        mapping=parsed, dry_run=dry_run, source=source, new_ids=new_ids, actor="cli-import"
    )
    with _session() as session, _progress(f"importing {file.name}") as progress:
        try:
            report = import_assets(session, file, options, progress=progress)
        except SourceFileError as exc:
            _fail(str(exc))
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@export_app.command("assets")
def export_assets_command(
    out: Annotated[Path, typer.Argument(help="Output file: .geojson, .csv or .gpkg.")],
    status: Annotated[
        list[str] | None,
        typer.Option(help="Only this status (repeatable); default: all but archived."),
    ] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only this kind (repeatable).")] = None,
) -> None:
    """Export assets to OUT (format by extension), as the API shows them to an admin.

    Person-linked kinds (skill, volunteer) are never exported. Ids, version and timestamps
    are included, so `import assets` can read the file back unchanged.
    """
    from app.models import KINDS, STATUSES
    from app.services.exports import DEFAULT_STATUSES, export_assets
    from app.services.import_formats import SourceFileError

    for value, allowed, name in ((status, STATUSES, "status"), (kind, KINDS, "kind")):
        bad = [v for v in value or [] if v not in allowed]
        if bad:
            _fail(f"unknown {name} {bad[0]!r} (one of {', '.join(allowed)})")
    with _session() as session:
        try:
            result = export_assets(
                session,
                out,
                statuses=tuple(status) if status else DEFAULT_STATUSES,
                kinds=tuple(kind or ()),
            )
        except SourceFileError as exc:
            _fail(str(exc))
    typer.echo(f"exported {result.count} assets to {result.path} ({result.format})")


@app.command()
def demo(
    area_dir: Annotated[
        Path | None,
        typer.Option(help="A real open-data folder laid out like ../shared/data/cardiff/."),
    ] = None,
) -> None:
    """Load the demo: the fictional example area Aberllyn (data/demo/), or a real area folder.

    Migrates the database first (`db upgrade`); safe to run again (nothing changes).
    """
    from app.migrate import upgrade
    from app.services.demo import load_demo
    from app.services.import_formats import SourceFileError

    engine = make_engine(get_settings())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    with _session() as session, _progress("loading demo") as progress:
        try:
            reports = load_demo(session, area_dir=area_dir, progress=progress)
        except (SourceFileError, FileNotFoundError) as exc:
            _fail(str(exc))
        if all(r.ok for r in reports):
            session.commit()
    for report in reports:
        _print_report(report)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
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


PROBLEMS_SHOWN = 200


def _print_report(report: Any) -> None:
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
        if len(report.problems) > PROBLEMS_SHOWN:
            typer.echo(f"  ... and {len(report.problems) - PROBLEMS_SHOWN} more", err=True)
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
