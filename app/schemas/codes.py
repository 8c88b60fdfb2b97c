"""Codes: the stable identifiers of areas, indicators and themes, one pattern each, defined once.

- area and indicator codes: a letter or digit, then letters, digits, `_`, `.`, `:` or `-`
  (`W01001234`, `E02:2021`, `wimd2019_income_rank`); at most 40 (areas) or 60 (indicators)
  characters, the sizes of their columns;
- theme codes: lower-case letters, digits and `_` (`food`, `older_people`), at most 40.

Imports (`assetmap import areas|indicators|deficits|assets`, the taxonomy in data/themes.csv)
and the API check codes here, so no code holds spaces, markup or template syntax. README
("Command line") documents the patterns.
"""

import re
from typing import Annotated

from pydantic import Field

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
THEME_CODE = r"^[a-z0-9_]+$"
AREA_CODE_MAX = 40
INDICATOR_CODE_MAX = 60
THEME_CODE_MAX = 40

_CODE = re.compile(CODE)
_THEME_CODE = re.compile(THEME_CODE)
_CODE_RULE = "a letter or digit, then letters, digits, '_', '.', ':' or '-'"
_THEME_RULE = "lower-case letters, digits and '_'"

AreaCode = Annotated[str, Field(max_length=AREA_CODE_MAX, pattern=CODE)]
IndicatorCode = Annotated[str, Field(max_length=INDICATOR_CODE_MAX, pattern=CODE)]
ThemeCode = Annotated[str, Field(max_length=THEME_CODE_MAX, pattern=THEME_CODE)]


def _shown(value: str) -> str:
    return repr(value if len(value) <= 50 else value[:50] + "…")


def _problem(value: str, pattern: re.Pattern[str], rule: str, most: int) -> str | None:
    if not value:
        return "empty code"
    if len(value) > most:
        return f"code {_shown(value)} is longer than {most} characters"
    if not pattern.fullmatch(value):
        return f"code {_shown(value)} is not {rule}"
    return None


def area_code_problem(value: str) -> str | None:
    """Why `value` is not an area code (None when it is one)."""
    return _problem(value, _CODE, _CODE_RULE, AREA_CODE_MAX)


def indicator_code_problem(value: str) -> str | None:
    """Why `value` is not an indicator code (None when it is one)."""
    return _problem(value, _CODE, _CODE_RULE, INDICATOR_CODE_MAX)


def theme_code_problem(value: str) -> str | None:
    """Why `value` is not a theme code (None when it is one)."""
    return _problem(value, _THEME_CODE, _THEME_RULE, THEME_CODE_MAX)
