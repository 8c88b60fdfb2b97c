"""The demo's fictional residents (Aberllyn): their "I use this" marks on the demo's assets and
the gaps they told the map about (data/demo/aberllyn_gaps.csv), with their "me too"s, so that
use counts, support counts and the connectors' queue of gaps show on a fresh install.

The residents are accounts nobody can sign in to (no password), `resident-NN@example.org`,
confirmed. Who uses what is deterministic, so every install shows the same counts: some assets
with 5 or more residents, most "fewer than 5". Gaps marked `published` are published as a
connector would (a deficit at the centre of their 100 m square), then supported by as many
residents as the file says; `pending` ones wait in the queue with their reporter's support.
Loading again changes nothing: once the first resident exists, nothing is added.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset, User
from app.schemas.gaps import GapCreate
from app.services import users
from app.services.assets.visibility import SYSTEM
from app.services.coproduction import gap_decisions, gaps, uses
from app.vocabularies import PUBLIC_KINDS

RESIDENTS = 30
EMAIL = "resident-{:02d}@example.org"


@dataclass
class DemoResidentsReport:
    """What loading the demo's residents did."""

    residents: int = 0
    uses: int = 0
    gaps: int = 0
    # Nothing in the file can fail but by raising (it is ours): kept for the demo's reports.
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every gap could be loaded."""
        return not self.problems

    def summary(self) -> str:
        """What changed."""
        if not self.residents:
            return "fictional residents already held: unchanged"
        return (
            f"{self.residents} fictional residents created, with {self.uses} uses of assets "
            f"and {self.gaps} gaps"
        )


def _uses(index: int, position: int) -> bool:
    """Whether resident `index` uses the asset at `position`: a fixed pattern that gives the
    first assets many users and the rest few."""
    if position < 4:
        return (index + position) % 4 != 0  # about three in four residents
    return (index * 7 + position * 3) % 11 == 0  # about one in eleven


def load_demo_residents(session: Session, gaps_path: Path) -> DemoResidentsReport:
    """Create the fictional residents, their uses and their gaps (flushed, not committed)."""
    report = DemoResidentsReport()
    if session.scalar(select(User.id).where(User.email == EMAIL.format(1))) is not None:
        return report
    residents = [
        users.create_user(
            session,
            email=EMAIL.format(n),
            role="resident",
            actor="demo",
            display_name=f"Fictional resident {n}",
            language="cy" if n % 3 == 0 else "en",
        )
        for n in range(1, RESIDENTS + 1)
    ]
    viewers = [users.viewer_of(user) for user in residents]
    report.residents = len(residents)
    assets = list(
        session.scalars(
            select(Asset.id)
            .where(Asset.status == "published", Asset.kind.in_(PUBLIC_KINDS))
            .order_by(Asset.id)
        )
    )
    for position, asset_id in enumerate(assets):
        for index, viewer in enumerate(viewers):
            if _uses(index, position):
                uses.mark(session, viewer, asset_id)
                report.uses += 1
    with gaps_path.open(encoding="utf-8", newline="") as source:
        for row_number, row in enumerate(csv.DictReader(source)):
            data = GapCreate.model_validate(
                {
                    "theme": row["theme"],
                    "text": row["text"],
                    "language": row["language"],
                    "near": [float(row["lon"]), float(row["lat"])],
                }
            )
            reporter = viewers[row_number % len(viewers)]
            gap = gaps.create_gap(session, reporter, data)
            if row["status"] == "published":
                gap_decisions.publish_gap(session, SYSTEM, gap.id)
                # "Me too" from others, once it is public (a pending gap is its reporter's).
                for offset in range(1, int(row["supporters"])):
                    supporter = viewers[(row_number * 5 + offset) % len(viewers)]
                    gaps.support(session, supporter, gap.id)
            report.gaps += 1
    return report
