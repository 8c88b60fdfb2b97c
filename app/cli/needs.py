"""`assetmap import areas|indicators|postcodes|deficits`: needs beside the assets."""

from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli import (
    DryRun,
    fail,
    import_app,
    print_checked_report,
    print_import_report,
    session_scope,
)
from app.models import LEVELS

AREAS_HELP = f"""Import areas (e.g. LSOAs) from FILE: GeoJSON, GeoPackage or another vector file.

Polygons and MultiPolygons in any CRS (reprojected to WGS84). Each feature needs a code
(--code-field); names, population and parent code come from the fields named. Areas are created
or updated by code (others are kept), and assets are reassigned to the areas that contain them.
--centroids gives a point file of population-weighted centroids (matched by
--centroid-code-field, default the code field); without one, an area's centroid is a point
on its surface. Invalid polygons (self-intersecting rings...) are reported, or repaired with
--repair, which lists what it repaired. Levels: {", ".join(LEVELS)}.

All or nothing: if any feature is bad, nothing is written and the problems are listed by
feature number, code, field and reason. The database is ASSETMAP_DATABASE_URL.
"""

INDICATORS_HELP = """Import need indicators: values per area from CSV, metadata from --meta (JSON).

The CSV has one row per area (its code in --area-column) and one column per indicator; the
metadata file says what each indicator is (labels, unit, direction, themes, source, year,
licence): see data/indicators/README.md, e.g. data/indicators/wimd2019.json. Import the areas
first: an unknown area code is a bad row unless --ignore-unknown-areas skips it (e.g. a CSV of
all Wales when one local authority is loaded). An empty cell removes the area's old value.

All or nothing: problems are listed by line (the header is line 1), column and reason.
Importing the same files again changes nothing.
"""

POSTCODES_HELP = """Import postcode centroids from CSV: postcode, lat, lon, optionally an area code.

Postcodes are normalised ('cf101aa' -> 'CF10 1AA') and created or updated; others are kept.
The optional --area-column holds each postcode's small-area code (e.g. LSOA); without it,
a lookup finds the area containing the point. All or nothing: problems are listed by line
(the header is line 1), column and reason.
"""

DEFICITS_HELP = """Import service deficits (reported gaps) from CSV, GeoJSON or GeoPackage.

Fields: theme, title_en, title_cy, description_en, description_cy, severity (1-5), status
(open/addressed), source, source_id, reporter, reported_on; a place: CSV lon + lat and/or area
(WKT), or the GeoJSON geometry (Point: location; Polygon/MultiPolygon: area). Every record
needs source (or --source) and source_id: importing the same pair again updates that deficit,
and changes nothing when nothing differs. All or nothing: problems are listed by line (CSV,
the header is line 1) or feature number, field and reason.
"""


def _finish(session: Any, report: Any, dry_run: bool) -> None:
    """Commit a good report (unless a dry run); roll back anything else."""
    if report.ok and not dry_run:
        session.commit()
    else:
        session.rollback()


def print_area_report(name: str, report: Any) -> None:
    """Print an area import report, with the geometries that were repaired."""
    print_checked_report(name, report)
    if report.ok and report.repaired:
        typer.echo(f"  repaired {len(report.repaired)} invalid geometries:")
        for number, code, reason in report.repaired:
            typer.echo(f"    feature {number} ({code}): was {reason}")


@import_app.command("areas", help=AREAS_HELP)
def import_areas_command(
    file: Annotated[Path, typer.Argument(help="A .geojson or .gpkg file of polygons.")],
    level: Annotated[str, typer.Option(help=f"One of {', '.join(LEVELS)}.")],
    code_field: Annotated[str, typer.Option(help="Attribute with the area code.")] = "code",
    name_field: Annotated[str | None, typer.Option(help="Attribute with the English name.")] = None,
    name_cy_field: Annotated[
        str | None, typer.Option(help="Attribute with the Welsh name.")
    ] = None,
    population_field: Annotated[
        str | None, typer.Option(help="Attribute with the population (a whole number).")
    ] = None,
    parent_field: Annotated[
        str | None, typer.Option(help="Attribute with the parent area's code.")
    ] = None,
    centroids: Annotated[
        Path | None, typer.Option(help="A point file of population-weighted centroids.")
    ] = None,
    centroid_code_field: Annotated[
        str | None, typer.Option(help="Area code attribute of the centroids (default: as FILE).")
    ] = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Repair invalid polygons instead of rejecting them.")
    ] = False,
    source: Annotated[str | None, typer.Option(help="Where the areas come from.")] = None,
    dry_run: DryRun = False,
) -> None:
    """Import areas from FILE (the help text is AREAS_HELP)."""
    from app.services.imports.areas import import_areas
    from app.services.imports.formats import SourceFileError
    from app.services.needs.areas import AreaFields

    if level not in LEVELS:
        fail(f"unknown level {level!r} (one of {', '.join(LEVELS)})")
    fields = AreaFields(
        code=code_field,
        name_en=name_field,
        name_cy=name_cy_field,
        population=population_field,
        parent=parent_field,
    )
    with session_scope("areas") as session:
        try:
            report = import_areas(
                session,
                path=file,
                level=level,
                fields=fields,
                centroids_path=centroids,
                centroid_code_field=centroid_code_field,
                repair=repair,
                source=source or file.name,
                dry_run=dry_run,
            )
        except SourceFileError as exc:
            fail(str(exc))
        _finish(session, report, dry_run)
    print_area_report(file.name, report)
    if not report.ok:
        raise typer.Exit(1)


@import_app.command("indicators", help=INDICATORS_HELP)
def import_indicators_command(
    file: Annotated[Path, typer.Argument(help="CSV: an area-code column, one per indicator.")],
    meta: Annotated[Path, typer.Option(help="The indicators' metadata (JSON).")],
    area_column: Annotated[str, typer.Option(help="The CSV column with the area codes.")],
    ignore_unknown_areas: Annotated[
        bool,
        typer.Option("--ignore-unknown-areas", help="Skip rows of areas that are not loaded."),
    ] = False,
    dry_run: DryRun = False,
) -> None:
    """Import need indicators (the help text is INDICATORS_HELP)."""
    from app.services.needs.indicators import import_indicators

    with session_scope("indicators") as session:
        report = import_indicators(
            session,
            csv_path=file,
            meta_path=meta,
            area_code_column=area_column,
            ignore_unknown_areas=ignore_unknown_areas,
            dry_run=dry_run,
        )
        _finish(session, report, dry_run)
    print_checked_report(f"{file.name} + {meta.name}", report)
    if not report.ok:
        raise typer.Exit(1)


@import_app.command("postcodes", help=POSTCODES_HELP)
def import_postcodes_command(
    file: Annotated[Path, typer.Argument(help="A CSV with a header row.")],
    postcode_column: Annotated[str, typer.Option(help="Column with the postcode.")] = "postcode",
    lat_column: Annotated[str, typer.Option(help="Column with the latitude (WGS84).")] = "lat",
    lon_column: Annotated[str, typer.Option(help="Column with the longitude (WGS84).")] = "lon",
    area_column: Annotated[
        str | None, typer.Option(help="Column with the small-area code (e.g. lsoa11cd).")
    ] = None,
    dry_run: DryRun = False,
) -> None:
    """Import postcode centroids (the help text is POSTCODES_HELP)."""
    from app.services.needs.postcodes import import_postcodes

    with session_scope("postcodes") as session:
        report = import_postcodes(
            session,
            csv_path=file,
            postcode_column=postcode_column,
            lat_column=lat_column,
            lon_column=lon_column,
            area_column=area_column,
            dry_run=dry_run,
        )
        _finish(session, report, dry_run)
    print_checked_report(file.name, report)
    if not report.ok:
        raise typer.Exit(1)


@import_app.command("deficits", help=DEFICITS_HELP)
def import_deficits_command(
    file: Annotated[Path, typer.Argument(help="A .csv, .geojson or .gpkg file.")],
    source: Annotated[
        str | None, typer.Option(help="Source name for records that have none.")
    ] = None,
    dry_run: DryRun = False,
) -> None:
    """Import service deficits (the help text is DEFICITS_HELP)."""
    from app.services.imports.deficits import import_deficits
    from app.services.imports.formats import SourceFileError

    with session_scope("deficits") as session:
        try:
            report = import_deficits(
                session, path=file, dry_run=dry_run, source=source, actor="cli-import"
            )
        except SourceFileError as exc:
            fail(str(exc))
        _finish(session, report, dry_run)
    print_import_report(report)
    if not report.ok:
        raise typer.Exit(1)
