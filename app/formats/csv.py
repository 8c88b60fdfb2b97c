"""CSV (RFC 4180, UTF-8, CRLF): the one writer, whole-text or streamed, and the formula guard."""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

MEDIA_TYPE = "text/csv; charset=utf-8"
LINE_END = "\r\n"
# Spreadsheet formula injection: cells starting with these run as formulas in Excel/LibreOffice.
_FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"^[+-][0-9 ()\-]*$")

Row = Mapping[str, Any]


def safe_cell(value: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with an apostrophe."""
    if value.startswith(_FORMULA_START) or (
        value.startswith(("+", "-")) and not _SIGNED_NUMBER.match(value)
    ):
        return "'" + value
    return value


def unsafe_cell(value: str) -> str:
    """Undo safe_cell (for import)."""
    if value.startswith("'") and safe_cell(value[1:]) == value:
        return value[1:]
    return value


def guarded(row: Row) -> dict[str, Any]:
    """The row with every text cell passed through safe_cell (other values as they are)."""
    return {k: safe_cell(v) if isinstance(v, str) else v for k, v in row.items()}


def _writer(out: Any, columns: Sequence[str]) -> "csv.DictWriter[str]":
    # Columns are the contract: keys a row carries beyond them are left out.
    return csv.DictWriter(
        out, fieldnames=list(columns), lineterminator=LINE_END, extrasaction="ignore"
    )


def csv_text(
    columns: Sequence[str], rows: Iterable[Row], *, to_row: Callable[[Any], Row] = guarded
) -> str:
    """A header row and one line per record (to_row: record -> row; default: guard the text)."""
    buffer = io.StringIO()
    writer = _writer(buffer, columns)
    writer.writeheader()
    for record in rows:
        writer.writerow(to_row(record))
    return buffer.getvalue()


def csv_chunks(
    columns: Sequence[str],
    rows: Iterable[Any],
    *,
    to_row: Callable[[Any], Row] = guarded,
    batch: int = 1000,
) -> Iterator[bytes]:
    """The same text as csv_text, streamed as UTF-8: the header, then `batch` lines a chunk."""
    buffer = io.StringIO()
    writer = _writer(buffer, columns)
    writer.writeheader()
    for count, record in enumerate(rows, start=1):
        writer.writerow(to_row(record))
        if count % batch == 0:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def write_csv_file(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Any],
    *,
    to_row: Callable[[Any], Row] = guarded,
) -> int:
    """csv_text's text written to path as it is made; the number of records written."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = _writer(out, columns)
        writer.writeheader()
        for record in rows:
            writer.writerow(to_row(record))
            count += 1
    return count
