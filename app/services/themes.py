"""The themes taxonomy: listing and seeding from data/themes.csv."""

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Theme, ThemeRelation
from app.settings import PROJECT_DIR

THEMES_CSV = PROJECT_DIR / "data" / "themes.csv"
RELATIONS_CSV = PROJECT_DIR / "data" / "theme_relations.csv"


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


def seed_themes(session: Session, path: Path = THEMES_CSV, relations: Path = RELATIONS_CSV) -> int:
    """Add taxonomy terms and relations from data/ that the database lacks; returns terms added."""
    existing = set(session.scalars(select(Theme.code)))
    added = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for position, row in enumerate(csv.DictReader(handle)):
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
    with relations.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            pair = (row["theme_code"], row["related_code"])
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
