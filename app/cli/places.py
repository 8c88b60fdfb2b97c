"""`assetmap import places`: a gazetteer of the names people use for where they live."""

from pathlib import Path
from typing import Annotated

import typer

from app.cli import DryRun, fail, import_app, print_checked_report, progress_bar, session_scope

PLACES_HELP = """Import a gazetteer from FILE: OS Open Names CSV, or GeoJSON points.

OS Open Names (.csv): the product's data files as published, without a header row (the column
order of its header file; a header row in front is allowed). Kept: populated places (TYPE
populatedPlace: City, Town, Village, Hamlet, Other Settlement, Suburban Area) and named areas;
roads, postcodes, hills, water and the rest are counted as skipped. NAME1/NAME2 with
NAME1_LANG/NAME2_LANG 'eng'/'cym' give the English and Welsh names. Points are EPSG:27700 and
are stored as WGS84. Contains OS data (c) Crown copyright and database right: Open Government
Licence v3.

GeoJSON (.geojson): Point features with `name` (English, or the only name) and optionally
`name_cy` (Welsh), `type` and `id`.

Places are created or updated by source and id (OS Open Names' ID; a GeoJSON `id`, else the
name and point), so importing a file again adds no duplicates; --replace also removes the
source's places that are not in the file. All or nothing: problems are listed by line or
feature, field and reason, and nothing is written.
"""


@import_app.command("places", help=PLACES_HELP)
def import_places_command(
    file: Annotated[Path, typer.Argument(help="An OS Open Names .csv or a .geojson of points.")],
    source: Annotated[
        str | None,
        typer.Option(help="Name of the source (default: 'OS Open Names', or the file's name)."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Remove the source's places that are not in FILE."),
    ] = False,
    dry_run: DryRun = False,
) -> None:
    """Import a gazetteer (the help text is PLACES_HELP)."""
    from app.services.imports.formats import SourceFileError
    from app.services.imports.places import import_places

    with session_scope("places") as session, progress_bar(f"importing {file.name}") as progress:
        try:
            report = import_places(
                session,
                path=file,
                source=source,
                replace=replace,
                dry_run=dry_run,
                progress=progress,
            )
        except SourceFileError as exc:
            fail(str(exc))
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    print_checked_report(file.name, report)
    if not report.ok:
        raise typer.Exit(1)
