"""Need indicators on the way in (the metadata file) and on the way out (JSON and CSV)."""

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from app.formats import csv
from app.models import LEVELS
from app.schemas.codes import CODE, indicator_code_problem

# The API's path pattern; imports check codes with indicator_code_problem (app/schemas/codes.py).
INDICATOR_CODE = CODE


def _checked_code(value: str) -> str:
    if problem := indicator_code_problem(value):
        raise ValueError(problem)
    return value


_Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
_Code = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_checked_code)]


class IndicatorMeta(BaseModel):
    """One indicator in a metadata file: what it is, which way is more need, where it is from."""

    model_config = ConfigDict(extra="forbid")

    code: _Code
    column: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="the CSV column holding its values (default: the code)"
    )
    label_en: _Label
    label_cy: _Label
    description_en: _Description | None = None
    description_cy: _Description | None = None
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    higher_is_more_need: StrictBool
    themes: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]]
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    year: Annotated[int, Field(strict=True, ge=1800, le=2200)]
    licence: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

    @property
    def csv_column(self) -> str:
        """The CSV column to read (the code unless `column` says otherwise)."""
        return self.column or self.code


class IndicatorRead(BaseModel):
    """An indicator's metadata, the themes it speaks to and how many areas have a value."""

    code: str
    label_en: str
    label_cy: str
    description_en: str | None
    description_cy: str | None
    unit: str
    higher_is_more_need: bool
    themes: list[str]
    source: str
    year: int
    licence: str
    value_count: int = Field(description="areas with a value")


class IndicatorList(BaseModel):
    """Indicators, by code."""

    items: list[IndicatorRead]


class IndicatorValueRead(BaseModel):
    """One area's value, and where it stands among the areas of its level."""

    area_code: str
    area_name: str | None = Field(description="English name, else Welsh")
    area_name_cy: str | None
    level: str
    value: float
    need_percentile: float = Field(
        ge=0, le=100, description="0-100 among areas of the same level; 100 = most need"
    )
    decile: int = Field(
        ge=1,
        le=10,
        description="1-10 among areas of the same level; 1 = most need (as WIMD's deciles run)",
    )


class IndicatorValueList(BaseModel):
    """An indicator's values per area."""

    indicator: IndicatorRead
    items: list[IndicatorValueRead]
    numberReturned: int
    method: str


def indicator_json(record: dict[str, Any]) -> dict[str, Any]:
    """The JSON of one indicator record (service dict)."""
    return {key: record[key] for key in IndicatorRead.model_fields}


INDICATOR_CSV_COLUMNS = (
    "code",
    "label_en",
    "label_cy",
    "unit",
    "higher_is_more_need",
    "themes",
    "source",
    "year",
    "licence",
    "value_count",
)
VALUE_CSV_COLUMNS = (
    "indicator",
    "area_code",
    "area_name",
    "area_name_cy",
    "level",
    "value",
    "need_percentile",
    "decile",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return csv.safe_cell(";".join(value))
    return csv.safe_cell(str(value))


def _csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> str:
    return csv.csv_text(columns, rows, to_row=lambda row: {c: _cell(row.get(c)) for c in columns})


def indicators_csv(records: Iterable[dict[str, Any]]) -> str:
    """Indicator metadata as CSV (one row per indicator; themes joined with ';')."""
    return _csv(INDICATOR_CSV_COLUMNS, records)


def values_csv(code: str, rows: Iterable[dict[str, Any]]) -> str:
    """An indicator's values per area as CSV."""
    return _csv(VALUE_CSV_COLUMNS, ({"indicator": code, **row} for row in rows))


Level = Literal["lsoa", "msoa", "ward", "local_authority", "custom"]
assert set(Level.__args__) == set(LEVELS)  # type: ignore[attr-defined]
