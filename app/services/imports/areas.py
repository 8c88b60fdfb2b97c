"""Importing areas from a vector file in one call: checked, all or nothing, with a report.

Reading, repairing and saving are app/services/needs/areas.py's (read_areas, read_centroids,
save_areas); this module puts them together for the command line and the demo: it checks that
the named attributes exist, collects every bad feature of both files before writing anything,
and for a dry run rolls its writes back to a savepoint, so the counts come from the same code
that writes.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
import shapely
from pyogrio.errors import DataSourceError
from shapely.geometry import Point
from sqlalchemy.orm import Session

from app.models import LEVELS
from app.services.imports.formats import SourceFileError
from app.services.imports.vector_files import read_features
from app.services.needs.areas import AreaFields, BadFeature, read_areas, read_centroids, save_areas


@dataclass(frozen=True)
class AreaProblem:
    """A feature (or, number 0, a whole file) that stops the import: which file, where, why."""

    file: str
    number: int
    code: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        if self.number == 0:
            return f"{self.file}: {self.field}: {self.reason}"
        code = f" ({self.code})" if self.code else ""
        return f"{self.file} feature {self.number}{code}: {self.field}: {self.reason}"


@dataclass
class AreaImportReport:
    """What an area import did (or, for a dry run or with problems, would do)."""

    path: Path
    level: str
    centroids_path: Path | None = None
    dry_run: bool = False
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    weighted_centroids: int = 0
    assigned_assets: int = 0
    # (feature number, code, what was invalid) of each area whose geometry was repaired.
    repaired: list[tuple[int, str, str]] = field(default_factory=list)
    problems: list[AreaProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every feature could be imported."""
        return not self.problems

    def summary(self) -> str:
        """One line for people: what changed (or would)."""
        verb = "would be " if self.dry_run else ""
        text = (
            f"{self.records} {self.level} areas: {self.created} {verb}created, "
            f"{self.updated} {verb}updated, {self.unchanged} unchanged"
        )
        if self.centroids_path is None:
            text += "; centroids: a point on each area's surface"
        else:
            text += f"; {self.weighted_centroids} with a population-weighted centroid"
            if self.weighted_centroids < self.records:
                text += f" ({self.records - self.weighted_centroids} use a point on the surface)"
        if self.assigned_assets:
            text += f"; assets reassigned to areas: {self.assigned_assets}"
        return text + (" (dry run: nothing written)" if self.dry_run else "")


def _attributes(path: Path) -> list[str]:
    """The attribute names of a vector file; SourceFileError when it cannot be read."""
    if not path.exists():
        raise SourceFileError(f"{path}: no such file")
    try:
        return [str(name) for name in pyogrio.read_info(path)["fields"]]
    except DataSourceError as exc:
        raise SourceFileError(f"{path.name}: not a readable vector file ({exc})") from None


def _missing(path: Path, names: list[str | None]) -> list[AreaProblem]:
    have = _attributes(path)
    reason = f"no such attribute (the file has: {', '.join(have)})"
    return [
        AreaProblem(path.name, 0, None, name, reason)
        for name in dict.fromkeys(n for n in names if n)
        if name not in have
    ]


def _what_was_repaired(
    path: Path, numbers: dict[str, int], codes: list[str]
) -> list[tuple[int, str, str]]:
    """(feature number, code, why it was invalid) of each repaired area, by feature number."""
    if not codes:
        return []
    wanted = {numbers[code]: code for code in codes}
    return [
        (f.number, wanted[f.number], shapely.is_valid_reason(f.geometry))
        for f in read_features(path)
        if f.number in wanted
    ]


def _problem(path: Path, bad: BadFeature) -> AreaProblem:
    return AreaProblem(path.name, bad.number, bad.code, bad.field, bad.reason)


def import_areas(
    session: Session,
    *,
    path: Path,
    level: str,
    fields: AreaFields,
    centroids_path: Path | None = None,
    centroid_code_field: str | None = None,
    repair: bool = False,
    source: str | None = None,
    dry_run: bool = False,
) -> AreaImportReport:
    """Check and import the areas of a vector file (flushed, not committed); all or nothing.

    Areas are created or updated by code; assets are then reassigned to the areas of the level.
    Points in `centroids_path` (matched on `centroid_code_field`, default the code field) become
    population-weighted centroids; points of codes not in the file are ignored, and areas without
    one get a point on their surface. Invalid polygons are problems unless `repair` is set; the
    report lists what was repaired. Raises SourceFileError when a file cannot be read at all.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r} (one of {', '.join(LEVELS)})")
    report = AreaImportReport(
        path=path, level=level, centroids_path=centroids_path, dry_run=dry_run
    )
    names = [fields.code, fields.name_en, fields.name_cy, fields.population, fields.parent]
    report.problems += _missing(path, names)
    code_field = centroid_code_field or fields.code
    if centroids_path is not None:
        report.problems += _missing(centroids_path, [code_field])
    if not report.ok:
        return report
    areas, bad, repaired = read_areas(path, fields, repair=repair)
    report.records = len(areas) + len(bad)
    report.problems += [_problem(path, b) for b in bad]
    if report.records == 0:
        report.problems.append(AreaProblem(path.name, 0, None, "features", "the file has none"))
    centroids: dict[str, Point] = {}
    if centroids_path is not None:
        centroids, bad_points = read_centroids(centroids_path, code_field)
        report.problems += [_problem(centroids_path, b) for b in bad_points]
    if not report.ok:
        return report
    report.repaired = _what_was_repaired(path, {a.code: a.number for a in areas}, repaired)
    report.weighted_centroids = sum(1 for a in areas if a.code in centroids)
    # A dry run writes inside a savepoint and rolls it back: the counts are the real ones.
    savepoint = session.begin_nested() if dry_run else None
    try:
        result = save_areas(
            session,
            level=level,
            areas=areas,
            centroids={a.code: centroids[a.code] for a in areas if a.code in centroids},
            source=source,
        )
    finally:
        if savepoint is not None:
            savepoint.rollback()
    report.created, report.updated, report.unchanged = (
        result.created,
        result.updated,
        result.unchanged,
    )
    report.assigned_assets = result.assigned_assets
    return report
