"""The themes taxonomy: listing and seeding from data/themes.csv."""

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Theme
from app.settings import PROJECT_DIR

THEMES_CSV = PROJECT_DIR / "data" / "themes.csv"


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


def seed_themes(session: Session, path: Path = THEMES_CSV) -> int:
    """Add taxonomy terms from the CSV that the database lacks; returns how many were added."""
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
    return added
