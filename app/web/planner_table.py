"""The planner's table of areas: its rows in words, its columns, the orders it can be sorted
in (server-side by `sort`, the same orders as static/js/planner-table.js), its category filter,
and the CSV of exactly what it shows (same rows, filter, order and columns)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.formats.csv import csv_text
from app.i18n import translations

# Most urgent first: where nothing exists yet, then what to build on, then the rest.
CATEGORY_ORDER = {"priority": 0, "strength": 1, "low_need": 2, "well_served": 3}
DEFAULT_SORT = "priority"


@dataclass(frozen=True)
class AreaRow:
    """One area in the planner's table (and tooltip), its figures in words and as numbers."""

    code: str
    name: str
    name_lang: str
    linked: bool  # whether the area has a profile page
    value: str
    need_percentile: float
    decile: int | None
    category: str
    category_label: str
    in_area: int
    within: int
    share: str  # share of its small areas in the nation's most deprived 10 % ('' if none)
    share_value: float | None
    people: str
    # Published count of residents' "I use this" on the area's public assets (people level).
    uses: str = ""


# Sort keys: the order a column sorts in first (most need, most assets first) and its key.
SORTS: dict[str, Callable[[AreaRow], Any]] = {
    "priority": lambda r: (CATEGORY_ORDER.get(r.category, 9), -r.need_percentile, r.code),
    "area": lambda r: (r.name.casefold(), r.code),
    "code": lambda r: r.code,
    "need": lambda r: (-r.need_percentile, r.code),
    "category": lambda r: (CATEGORY_ORDER.get(r.category, 9), -r.need_percentile, r.code),
    "in_area": lambda r: (-r.in_area, r.code),
    "within": lambda r: (-r.within, r.code),
    "share": lambda r: (-(r.share_value or 0), r.code),
}


def sorted_rows(rows: list[AreaRow], sort: str) -> list[AreaRow]:
    """The rows in the order `sort` names ("-key" reverses it); unknown: by priority."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return sorted(rows, key=SORTS[DEFAULT_SORT])
    return sorted(rows, key=SORTS[key], reverse=sort.startswith("-"))


def filtered_rows(rows: list[AreaRow], category: str | None) -> list[AreaRow]:
    """The rows of one gap category (None: all)."""
    return [r for r in rows if category is None or r.category == category]


@dataclass(frozen=True)
class Column:
    """A column of the table: the sort key it sorts by (None: not sortable) and its heading."""

    key: str | None
    heading: str
    numeric: bool = False


def table_columns(
    lang: str,
    *,
    theme: str,
    unit: str,
    distance: str,
    decile_heading: str,
    with_share: bool,
    with_people: bool,
) -> list[Column]:
    """The table's columns in the page's language (the CSV's header too)."""
    _ = translations(lang).gettext
    columns = [
        Column("area", _("Area")),
        Column("code", _("Code")),
        Column("need", _("Value (%(unit)s)") % {"unit": unit} if unit else _("Value"), True),
        Column("need", decile_heading, True),
        Column("category", _("Gap category")),
        Column("in_area", _("%(theme)s assets in the area") % {"theme": theme}, True),
        Column(
            "within",
            _("%(theme)s assets within %(distance)s m") % {"theme": theme, "distance": distance},
            True,
        ),
    ]
    if with_share:
        columns.append(
            Column("share", _("Small areas among the most deprived tenth of Wales"), True)
        )
    if with_people:
        columns.append(Column(None, _("Residents' “I use this” on the area's assets")))
        columns.append(Column(None, _("People offering %(theme)s") % {"theme": theme}))
    return columns


def row_cells(row: AreaRow, *, with_share: bool, with_people: bool) -> list[str]:
    """A row's cells as the table shows them, in column order."""
    cells = [
        row.name,
        row.code,
        row.value,
        "" if row.decile is None else str(row.decile),
        row.category_label,
        str(row.in_area),
        str(row.within),
    ]
    if with_share:
        cells.append(row.share)
    if with_people:
        cells += [row.uses, row.people]
    return cells


def table_csv(columns: list[Column], rows: list[list[str]]) -> str:
    """The table as CSV: its headings, then its rows as shown (formula-guarded)."""
    headings = [c.heading for c in columns]
    return csv_text(headings, [dict(zip(headings, cells, strict=True)) for cells in rows])
