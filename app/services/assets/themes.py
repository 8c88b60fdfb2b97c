"""The themes taxonomy: listing and seeding from data/themes.csv."""

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Theme, ThemeRelation
from app.paths import DATA_DIR
from app.schemas.assets import fold
from app.schemas.codes import theme_code_problem

THEMES_CSV = DATA_DIR / "themes.csv"
RELATIONS_CSV = DATA_DIR / "theme_relations.csv"


def list_themes(session: Session) -> list[Theme]:
    """Active themes in taxonomy order."""
    return list(
        session.scalars(select(Theme).where(Theme.active).order_by(Theme.position, Theme.code))
    )


def known_codes(session: Session, codes: list[str]) -> set[str]:
    """Which of these codes are active themes."""
    if not codes:
        return set()
    return set(session.scalars(select(Theme.code).where(Theme.code.in_(codes), Theme.active)))


def labels(session: Session, codes: list[str]) -> dict[str, tuple[str, str]]:
    """English and Welsh labels of these theme codes."""
    rows = session.execute(
        select(Theme.code, Theme.label_en, Theme.label_cy).where(Theme.code.in_(set(codes)))
    )
    return {code: (en, cy) for code, en, cy in rows}


class ThemeFileError(ValueError):
    """A taxonomy file with bad rows: nothing was added; the message lists each row's problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the taxonomy was not loaded:\n" + "\n".join(problems))
        self.problems = problems


def _read_themes(path: Path) -> list[dict[str, str]]:
    """The terms of a taxonomy file, checked: codes (app/schemas/codes.py), labels, duplicates."""
    problems: list[str] = []
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        # The header is line 1, so a record starts on line 2.
        for line, row in enumerate(csv.DictReader(handle), 2):
            code = (row.get("code") or "").strip()
            where = f"{path.name} line {line}"
            if problem := theme_code_problem(code):
                problems.append(f"{where}: code: {problem}")
            elif code in seen:
                problems.append(f"{where}: code: duplicate of line {seen[code]}")
            else:
                seen[code] = line
            for label in ("label_en", "label_cy"):
                if not (row.get(label) or "").strip():
                    problems.append(f"{where}: {label}: empty")
            rows.append({**row, "code": code})
    if problems:
        raise ThemeFileError(problems)
    return rows


def _read_relations(path: Path, codes: set[str]) -> list[tuple[str, str]]:
    problems: list[str] = []
    pairs: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), 2):
            pair = ((row.get("theme_code") or "").strip(), (row.get("related_code") or "").strip())
            for field_name, code in zip(("theme_code", "related_code"), pair, strict=True):
                problem = theme_code_problem(code)
                if problem is None and code not in codes:
                    problem = f"unknown theme {code!r}"
                if problem:
                    problems.append(f"{path.name} line {line}: {field_name}: {problem}")
            pairs.append(pair)
    if problems:
        raise ThemeFileError(problems)
    return pairs


def seed_themes(session: Session, path: Path = THEMES_CSV, relations: Path = RELATIONS_CSV) -> int:
    """Add taxonomy terms and relations from data/ that the database lacks; returns terms added.
    Raises ThemeFileError, adding nothing, when a row is bad (e.g. a code that is not a theme
    code, app/schemas/codes.py)."""
    terms = _read_themes(path)
    existing = set(session.scalars(select(Theme.code)))
    pairs = _read_relations(relations, existing | {row["code"] for row in terms})
    added = 0
    for position, row in enumerate(terms):
        if row["code"] in existing:
            continue
        session.add(
            Theme(
                code=row["code"],
                label_en=row["label_en"],
                label_cy=row["label_cy"],
                position=position,
                active=True,
            )
        )
        added += 1
    session.flush()
    known: set[tuple[str, str]] = {
        (a, b)
        for a, b in session.execute(select(ThemeRelation.theme_code, ThemeRelation.related_code))
    }
    for pair in pairs:
        if pair not in known:
            session.add(ThemeRelation(theme_code=pair[0], related_code=pair[1]))
            known.add(pair)
    session.flush()
    return added


def related_codes(session: Session, code: str) -> list[str]:
    """The theme itself and the themes whose assets can also meet its needs."""
    related = session.scalars(
        select(ThemeRelation.related_code).where(ThemeRelation.theme_code == code)
    )
    return [code, *sorted(set(related) - {code})]


# Words in theme labels that say nothing about the theme ("Food and drink", "Tai a gwaith").
_LABEL_STOP_WORDS = frozenset({"and", "the", "of", "for", "a", "ac", "ar", "y", "yr", "r", "i"})


def themes_named(session: Session, words: str) -> tuple[str, ...]:
    """Active themes whose English or Welsh label the words name: the whole label ('older
    people', 'pobl hyn'), its start, or one of its words from 3 letters on ('food', 'bwyd',
    'health'), accents and case folded."""
    wanted = " ".join(fold(words).split())
    if not wanted:
        return ()
    found = []
    for theme in list_themes(session):
        for label in (theme.label_en, theme.label_cy):
            folded = " ".join(fold(label).replace("'", " ").split())
            label_words = [w for w in folded.split() if w not in _LABEL_STOP_WORDS]
            if folded == wanted or (
                len(wanted) >= 3
                and wanted not in _LABEL_STOP_WORDS
                and (folded.startswith(wanted) or any(w.startswith(wanted) for w in label_words))
            ):
                found.append(theme.code)
                break
    return tuple(found)
