"""Importing need indicators: values per area from a CSV, metadata from a JSON file.

`data/indicators/README.md` describes both files. Everything is checked before anything is
written; the caller commits only when the report is ok and it is not a dry run.
"""

import csv
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from app.models import Area, Indicator, IndicatorTheme, IndicatorValue
from app.schemas.indicators import IndicatorMeta
from app.services.assets.themes import known_codes

CHUNK = 500
# A plain decimal number: float() alone would also take '1_000', 'nan', 'infinity' and
# non-ASCII digits, none of which a published statistics table means as a value.
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
METADATA_FIELDS = (
    "label_en",
    "label_cy",
    "description_en",
    "description_cy",
    "unit",
    "higher_is_more_need",
    "source",
    "year",
    "licence",
)


# ---- import report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorProblem:
    """Why an import cannot go ahead: which file, where in it, which field, why.

    `number` is the CSV line (header = line 1) for `file == "csv"`, the position (1-based) of
    the indicator in the metadata file for `file == "meta"`; 0 means the file as a whole.
    """

    file: str
    number: int
    field: str
    reason: str

    def __str__(self) -> str:
        if self.number == 0:
            where = f"{self.file} file"
        else:
            where = f"line {self.number}" if self.file == "csv" else f"indicator {self.number}"
        return f"{where}: {self.field}: {self.reason}"


@dataclass
class IndicatorImportReport:
    """What an indicator import did (or, for a dry run or with problems, would do)."""

    csv_path: Path
    meta_path: Path
    dry_run: bool = False
    rows: int = 0
    indicators_created: int = 0
    indicators_updated: int = 0
    indicators_unchanged: int = 0
    values_created: int = 0
    values_updated: int = 0
    values_unchanged: int = 0
    values_removed: int = 0
    missing_values: int = 0
    unknown_areas: int = 0
    problems: list[IndicatorProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row and every indicator could be imported."""
        return not self.problems

    def summary(self) -> str:
        """One line for people: what changed (or would)."""
        verb = "would be " if self.dry_run else ""
        return (
            f"{self.rows} rows: indicators {self.indicators_created} {verb}created, "
            f"{self.indicators_updated} {verb}updated, {self.indicators_unchanged} unchanged; "
            f"values {self.values_created} {verb}created, {self.values_updated} {verb}updated, "
            f"{self.values_unchanged} unchanged, {self.values_removed} {verb}removed; "
            f"{self.missing_values} empty cells skipped, {self.unknown_areas} rows of unknown "
            "areas skipped" + (" (dry run: nothing written)" if self.dry_run else "")
        )


# ---- reading the files -------------------------------------------------------------------------


def read_meta(session: Session, path: Path) -> tuple[list[IndicatorMeta], list[IndicatorProblem]]:
    """Indicator metadata from a JSON file, checked (fields, duplicate codes, known themes)."""
    problems: list[IndicatorProblem] = []

    def bad(number: int, name: str, reason: str) -> None:
        problems.append(IndicatorProblem("meta", number, name, reason))

    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        bad(0, "file", f"cannot read JSON: {exc}")
        return [], problems
    if not isinstance(document, dict) or not isinstance(document.get("indicators"), list):
        bad(0, "indicators", 'expected an object {"indicators": [...]}')
        return [], problems
    for key in sorted(set(document) - {"indicators", "about"}):
        bad(0, key, "unknown key (expected 'indicators' and optionally 'about')")
    metas: list[IndicatorMeta] = []
    seen: set[str] = set()
    for number, item in enumerate(document["indicators"], 1):
        try:
            meta = IndicatorMeta.model_validate(item)
        except ValidationError as exc:
            for error in exc.errors():
                name = ".".join(str(part) for part in error["loc"]) or "indicator"
                bad(number, name, error["msg"])
            continue
        if meta.code in seen:
            bad(number, "code", f"duplicate code {meta.code!r}")
            continue
        seen.add(meta.code)
        metas.append(meta)
    wanted = sorted({theme for meta in metas for theme in meta.themes})
    known = known_codes(session, wanted)
    for number, meta in enumerate(metas, 1):
        for theme in meta.themes:
            if theme not in known:
                bad(number, "themes", f"unknown theme {theme!r} (see /api/v1/themes)")
    return metas, problems


@dataclass
class _Cells:
    """The values read from the CSV, keyed by (indicator code, area id)."""

    values: dict[tuple[str, int], float] = field(default_factory=dict)
    area_ids: set[int] = field(default_factory=set)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for each record; the header is line 1."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        previous = 0
        for cells in reader:
            yield previous + 1, cells
            previous = reader.line_num


def _read_values(
    session: Session,
    path: Path,
    metas: list[IndicatorMeta],
    area_column: str,
    ignore_unknown_areas: bool,
    report: IndicatorImportReport,
) -> _Cells:
    cells = _Cells()

    def bad(number: int, name: str, reason: str) -> None:
        report.problems.append(IndicatorProblem("csv", number, name, reason))

    try:
        rows = list(_csv_rows(path))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        bad(0, "file", f"cannot read CSV: {exc}")
        return cells
    if not rows:
        bad(1, "header", "the file is empty")
        return cells
    header = [name.strip() for name in rows[0][1]]
    position = {name: index for index, name in reversed(list(enumerate(header)))}
    header_ok = True
    for name in dict.fromkeys([area_column, *(meta.csv_column for meta in metas)]):
        if name not in position:
            bad(1, name, "no such column")
            header_ok = False
        elif header.count(name) > 1:
            bad(1, name, "column appears more than once")
            header_ok = False
    if not header_ok:
        return cells
    records = [(number, row) for number, row in rows[1:] if any(c.strip() for c in row)]
    report.rows = len(records)
    area_ids = _area_ids(
        session,
        {row[position[area_column]].strip() for _, row in records if len(row) == len(header)},
    )
    seen: dict[str, int] = {}
    for number, row in records:
        if len(row) != len(header):
            bad(number, "row", f"has {len(row)} cells; the header has {len(header)}")
            continue
        code = row[position[area_column]].strip()
        if not code:
            bad(number, area_column, "empty area code")
            continue
        if code in seen:
            bad(number, area_column, f"area {code!r} is also on line {seen[code]}")
            continue
        seen[code] = number
        area_id = area_ids.get(code)
        if area_id is None:
            if ignore_unknown_areas:
                report.unknown_areas += 1
            else:
                bad(number, area_column, f"unknown area {code!r} (import the areas first)")
            continue
        cells.area_ids.add(area_id)
        for meta in metas:
            text = row[position[meta.csv_column]].strip()
            if not text:
                report.missing_values += 1
                continue
            value = float(text) if _NUMBER.match(text) else math.nan
            if not math.isfinite(value):
                bad(number, meta.csv_column, f"{text[:40]!r} is not a finite number")
                continue
            cells.values[(meta.code, area_id)] = value
    return cells


def _area_ids(session: Session, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        stmt = select(Area.code, Area.id).where(Area.code.in_(chunk))
        found.update((code, area_id) for code, area_id in session.execute(stmt))
    return found


# ---- import ------------------------------------------------------------------------------------


def import_indicators(
    session: Session,
    *,
    csv_path: Path,
    meta_path: Path,
    area_code_column: str,
    ignore_unknown_areas: bool = False,
    dry_run: bool = False,
) -> IndicatorImportReport:
    """Check and import indicator values and metadata (flushed, not committed); all or nothing.

    For each indicator in the metadata file, the values of the areas in the CSV are replaced by
    the CSV's (an empty cell removes an old value); other areas' values are kept. Importing the
    same files again changes nothing.
    """
    report = IndicatorImportReport(csv_path=csv_path, meta_path=meta_path, dry_run=dry_run)
    metas, meta_problems = read_meta(session, meta_path)
    report.problems.extend(meta_problems)
    cells = _read_values(session, csv_path, metas, area_code_column, ignore_unknown_areas, report)
    if not report.ok:
        return report
    write = not dry_run
    _save_metadata(session, metas, report, write)
    _save_values(session, [m.code for m in metas], cells, report, write)
    if write:
        session.flush()
    return report


def _save_metadata(
    session: Session, metas: list[IndicatorMeta], report: IndicatorImportReport, write: bool
) -> None:
    codes = [meta.code for meta in metas]
    existing = {
        i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_(codes)))
    }
    themes: dict[str, set[str]] = defaultdict(set)
    for code, theme in session.execute(
        select(IndicatorTheme.indicator_code, IndicatorTheme.theme_code).where(
            IndicatorTheme.indicator_code.in_(codes)
        )
    ):
        themes[code].add(theme)
    for meta in metas:
        values = {name: getattr(meta, name) for name in METADATA_FIELDS}
        wanted = set(meta.themes)
        indicator = existing.get(meta.code)
        if indicator is None:
            report.indicators_created += 1
            if write:
                session.add(Indicator(code=meta.code, **values))
        elif (
            all(getattr(indicator, k) == v for k, v in values.items())
            and themes[meta.code] == wanted
        ):
            report.indicators_unchanged += 1
            continue
        else:
            report.indicators_updated += 1
            if write:
                for key, value in values.items():
                    setattr(indicator, key, value)
        if write:
            session.flush()
            gone = themes[meta.code] - wanted
            if gone:
                session.execute(
                    delete(IndicatorTheme).where(
                        IndicatorTheme.indicator_code == meta.code,
                        IndicatorTheme.theme_code.in_(gone),
                    )
                )
            added = sorted(wanted - themes[meta.code])
            if added:
                session.execute(
                    insert(IndicatorTheme),
                    [{"indicator_code": meta.code, "theme_code": t} for t in added],
                )


def _save_values(
    session: Session, codes: list[str], cells: _Cells, report: IndicatorImportReport, write: bool
) -> None:
    old = session.execute(
        select(IndicatorValue.indicator_code, IndicatorValue.area_id, IndicatorValue.value).where(
            IndicatorValue.indicator_code.in_(codes)
        )
    ).all()
    updates: list[dict[str, Any]] = []
    removed: dict[str, list[int]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()
    for code, area_id, value in old:
        if area_id not in cells.area_ids:
            continue  # an area this file does not speak about keeps its value
        key = (code, area_id)
        seen.add(key)
        new = cells.values.get(key)
        if new is None:
            removed[code].append(area_id)
        elif new == value:
            report.values_unchanged += 1
        else:
            updates.append({"indicator_code": code, "area_id": area_id, "value": new})
    creates = [
        {"indicator_code": code, "area_id": area_id, "value": value}
        for (code, area_id), value in cells.values.items()
        if (code, area_id) not in seen
    ]
    report.values_created = len(creates)
    report.values_updated = len(updates)
    report.values_removed = sum(len(ids) for ids in removed.values())
    if not write:
        return
    # Core executemany on the table: the ORM bulk path costs twice as much per row.
    table = cast(Table, IndicatorValue.__table__)
    for start in range(0, len(creates), CHUNK * 4):
        session.execute(insert(table), creates[start : start + CHUNK * 4])
    for start in range(0, len(updates), CHUNK * 4):
        session.execute(update(IndicatorValue), updates[start : start + CHUNK * 4])
    for code, area_ids in removed.items():
        for start in range(0, len(area_ids), CHUNK):
            session.execute(
                delete(IndicatorValue)
                .where(
                    IndicatorValue.indicator_code == code,
                    IndicatorValue.area_id.in_(area_ids[start : start + CHUNK]),
                )
                .execution_options(synchronize_session=False)
            )
