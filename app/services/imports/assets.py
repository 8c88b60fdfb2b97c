"""Importing asset files: every record validated, then created, updated or left as it is.

How records are matched (also in `assetmap import assets --help`):
1. by `source` + `source_id` when a record has both (stable across databases);
2. else by `id` (a record exported from this database and edited); an `id` this database
   does not hold yet creates the asset with that id, so export -> import -> export into an
   empty database is identical (`new_ids` ignores id, version and timestamps instead);
3. else the record is new every time it is imported (the report counts these).
All or nothing: the caller commits only when the report has no problems (and not dry_run).
The file is read, checked and matched first, writing nothing; what to write is then written in
one short transaction at the end (import_writes.Planner.finish), so the app keeps writing
meanwhile (its writes wait for that last transaction at most).
"""

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.services.assets.themes import list_themes
from app.services.imports.formats import SourceFile, open_source
from app.services.imports.inserts import record_import
from app.services.imports.rows import Batch, ImportOptions, Problem, prepared_batches
from app.services.imports.worker import batches_from_workers, spare_cpus
from app.services.imports.writes import Lookup, Outcome, Planner
from app.spatial import backend_of

__all__ = ["ImportOptions", "ImportReport", "Problem", "import_assets"]

BATCH = 2000
TAKEN_MEANWHILE = (
    "the database changed while the file was read (a source_id or id of this file was given "
    "to another asset, or a theme it uses was removed); nothing was written: import it again"
)
# Big CSV files are validated in other processes while this one writes (on 2+ CPUs).
PARALLEL_MIN_RECORDS = 20_000


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a file with problems, would do)."""

    path: Path
    format: str = ""
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unkeyed: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every record could be imported."""
        return not self.problems

    def add(self, outcome: Outcome) -> None:
        """Count one batch's outcome in."""
        self.created += outcome.created
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.unkeyed += outcome.unkeyed
        self.problems.extend(outcome.problems)


def import_assets(
    session: Session,
    path: Path,
    options: ImportOptions,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate and import one file; writes go to the session (flushed, caller commits)."""
    source_file = open_source(path, native=options.mapping is None)
    report = ImportReport(path=path, format=source_file.format, dry_run=options.dry_run)
    known_themes = frozenset(t.code for t in list_themes(session))
    planner = Planner(
        unit="line" if source_file.format == "csv" else "feature",
        lookup=Lookup.for_file(session, source_file.count),
        ids_above=0 if options.new_ids else source_file.max_id,
    )
    if planner.ids_above and not options.dry_run:
        # The app's new assets get ids above every id the file brings from now on (a sequence
        # on PostgreSQL, no lock; SpatiaLite draws max(id) + 1 under the final write's lock).
        backend = backend_of(session)
        backend.reserve_ids(session.connection(), "assets", "id", 0, planner.ids_above)
    sources: set[str | None] = set()
    with _collector_paused():
        try:
            for batch in _batches(source_file, options, known_themes):
                sources.update(row.values["source"] for row in batch.rows)
                report.problems.extend(batch.problems)
                outcome, with_id, new, updates = planner.plan(session, batch.rows)
                report.add(outcome)
                if report.ok and not options.dry_run:
                    planner.write(session, with_id, new, updates, options.actor)
                report.records += batch.records
                if progress is not None:
                    progress(report.records, source_file.count)
            if report.ok and not options.dry_run:
                planner.finish(session, options.actor)
                if report.created or report.updated:
                    record_import(
                        session,
                        actor=options.actor,
                        import_id=planner.import_id,
                        file=path.name,
                        format=source_file.format,
                        sources=filter(None, sources),
                        created=report.created,
                        updated=report.updated,
                    )
        except IntegrityError:
            # Another writer took a source_id or id of this file after it was matched, or
            # removed a theme the file uses after it was checked.
            session.rollback()
            report.problems.append(Problem(0, "file", TAKEN_MEANWHILE))
    report.problems.sort(key=lambda problem: problem.number)
    return report


def _batches(
    source_file: SourceFile, options: ImportOptions, known_themes: frozenset[str]
) -> Iterator[Batch]:
    workers = spare_cpus()
    if source_file.lines is not None and source_file.count >= PARALLEL_MIN_RECORDS and workers:
        return batches_from_workers(source_file, options, known_themes, BATCH, workers)
    return prepared_batches(source_file, options, known_themes, BATCH)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # An import allocates millions of small objects and frees none until it ends: the cyclic
    # garbage collector's full passes over them cost about a fifth of the time, for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
