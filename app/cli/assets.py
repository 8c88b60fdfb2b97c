"""`assetmap import assets`, `assetmap export assets` and `assetmap demo`."""

from pathlib import Path
from typing import Annotated

import typer

from app.cli import (
    DryRun,
    app,
    export_app,
    fail,
    import_app,
    print_checked_report,
    print_import_report,
    progress_bar,
    session_scope,
)
from app.db import make_engine
from app.settings import get_settings

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
(CSV, the header is line 1) or feature number. The audit trail gets one event for the import
(file, sources, counts) and, per new asset, one naming that import. The database is
ASSETMAP_DATABASE_URL.
"""

DEMO_HELP = """Load the demo: the fictional area Aberllyn (data/demo/), or a real area folder.

The fictional demo is 20 small areas with population-weighted centroids, four need indicators,
twelve reported service deficits and 75 assets, so a gap analysis works straight away. With
--area-dir, a real open-data folder laid out like ../shared/data/cardiff/ is loaded end to end:
LSOA areas with names, population and population-weighted centroids, the MSOAs and the local
authority's outline when the folder has them, WIMD 2019
(data/indicators/wimd2019.json), postcodes, and assets through
data/mappings/wales_public_services.json.

Migrates the database first (`db upgrade`). All or nothing, and safe to run again (nothing
changes). The database is ASSETMAP_DATABASE_URL.
"""


@import_app.command("assets", help=IMPORT_HELP)
def import_assets_command(
    file: Annotated[Path, typer.Argument(help="A .csv, .geojson or .gpkg file.")],
    mapping: Annotated[
        Path | None, typer.Option(help="A mapping file for another publisher's columns.")
    ] = None,
    dry_run: DryRun = False,
    source: Annotated[
        str | None, typer.Option(help="Source name for records that have none.")
    ] = None,
    new_ids: Annotated[
        bool, typer.Option("--new-ids", help="Ignore the file's id, version and timestamps.")
    ] = False,
) -> None:
    """Import assets from FILE (the help text is IMPORT_HELP)."""
    from app.services.imports.assets import ImportOptions, import_assets
    from app.services.imports.formats import SourceFileError
    from app.services.imports.mappings import MappingError, load_mapping

    try:
        parsed = load_mapping(mapping) if mapping is not None else None
    except MappingError as exc:
        fail(str(exc))
    options = ImportOptions(
        mapping=parsed, dry_run=dry_run, source=source, new_ids=new_ids, actor="cli-import"
    )
    with session_scope() as session, progress_bar(f"importing {file.name}") as progress:
        try:
            report = import_assets(session, file, options, progress=progress)
        except SourceFileError as exc:
            fail(str(exc))
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    print_import_report(report)
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
    from app.services.imports.exports import DEFAULT_STATUSES, export_assets
    from app.services.imports.formats import SourceFileError

    for value, allowed, name in ((status, STATUSES, "status"), (kind, KINDS, "kind")):
        bad = [v for v in value or [] if v not in allowed]
        if bad:
            fail(f"unknown {name} {bad[0]!r} (one of {', '.join(allowed)})")
    with session_scope() as session:
        try:
            result = export_assets(
                session,
                out,
                statuses=tuple(status) if status else DEFAULT_STATUSES,
                kinds=tuple(kind or ()),
            )
        except SourceFileError as exc:
            fail(str(exc))
    typer.echo(f"exported {result.count} assets to {result.path} ({result.format})")


@export_app.command("openreferral")
def export_openreferral_command(
    out: Annotated[
        Path, typer.Argument(help="Output folder: datapackage.json and one CSV per table.")
    ],
    welsh: Annotated[
        bool,
        typer.Option("--welsh", help="Names and descriptions in Welsh where held."),
    ] = False,
) -> None:
    """Export the published assets as Open Referral UK's CSV data package in folder OUT.

    The same services /openreferral publishes (people, pending and archived records never),
    one table per object (services.csv, organizations.csv, locations.csv, schedule.csv, ...),
    so `import openreferral OUT` reads them back.
    """
    from app.services.openreferral.package import flatten, write_package
    from app.services.openreferral.publish import every_service, taxonomies

    lang = "cy" if welsh else "en"
    with session_scope() as session:
        services = every_service(session, lang)
    try:
        path = write_package(flatten(services, taxonomies(lang)), out)
    except OSError as exc:
        fail(f"cannot write {out}: {exc}")
    typer.echo(f"exported {len(services)} services to {path}")


@app.command(help=DEMO_HELP)
def demo(
    area_dir: Annotated[
        Path | None,
        typer.Option(help="A real open-data folder laid out like ../shared/data/cardiff/."),
    ] = None,
) -> None:
    """Load the demo (the help text is DEMO_HELP)."""
    from app.cli.needs import print_area_report
    from app.migrate import upgrade
    from app.services.demo import load_demo
    from app.services.imports.areas import AreaImportReport
    from app.services.imports.assets import ImportReport
    from app.services.imports.formats import SourceFileError

    engine = make_engine(get_settings())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    with session_scope() as session, progress_bar("loading demo") as progress:
        try:
            result = load_demo(session, area_dir=area_dir, progress=progress)
        except (SourceFileError, FileNotFoundError) as exc:
            fail(str(exc))
        if result.ok:
            session.commit()
        else:
            session.rollback()
    for name, report in result.steps:
        if isinstance(report, ImportReport):
            print_import_report(report)
        elif isinstance(report, AreaImportReport):
            print_area_report(name, report)
        else:
            print_checked_report(name, report)
    if not result.ok:
        typer.echo("the demo was not loaded: nothing was written.", err=True)
        raise typer.Exit(1)
    if result.example:
        typer.echo(f"gap analysis (after `assetmap serve`): http://127.0.0.1:8000{result.example}")


@import_app.command("openreferral")
def import_openreferral_command(
    source: Annotated[
        str,
        typer.Argument(
            help="An Open Referral UK API base URL (https://host/openreferral), a .json file "
            "or folder of them (fully nested services, pages or lists), or the profile's CSV "
            "data package (its folder or its datapackage.json)."
        ),
    ],
    source_name: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Source name the services are kept under (default: the "
            "URL's host, or 'openreferral' for files).",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="Taxonomy terms -> themes (default: data/mappings/openreferral_terms.json)."
        ),
    ] = None,
    welsh: Annotated[
        bool,
        typer.Option(
            "--welsh",
            help="Also ask the API for each service in Welsh "
            "(Accept-Language: cy) and keep the Welsh name and description.",
        ),
    ] = False,
    dry_run: DryRun = False,
) -> None:
    """Import services from Open Referral UK (3.0) as assets.

    Each service becomes one asset at its location, matched by source + the service's id, so
    importing again changes nothing. Services that cannot be held (no location with
    coordinates, inactive or defunct, summaries without locations) are skipped and listed, with
    the reason; what of a service cannot be held (a schedule that is not weekly, a term no theme
    maps to) is noted. All or nothing for the rest.
    """
    from app.services.openreferral.read import OrukSourceError, import_openreferral

    with session_scope() as session, progress_bar("reading services") as progress:
        try:
            report = import_openreferral(
                session,
                source,
                source_name=source_name,
                mapping=mapping,
                welsh=welsh,
                dry_run=dry_run,
                actor="cli-import",
                progress=progress,
            )
        except OrukSourceError as exc:
            fail(str(exc))
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    typer.echo(f"{source}: {report.services} services read, {len(report.skipped)} skipped")
    for skipped in report.skipped:
        typer.echo(f"  skipped {skipped.name or skipped.service_id}: {skipped.reason}")
    for note in report.notes:
        typer.echo(f"  note: {note}")
    if report.assets is not None:
        print_import_report(report.assets)
    if not report.ok:
        raise typer.Exit(1)
