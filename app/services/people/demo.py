"""The demo's fictional people (data/demo/aberllyn_people.csv): skills and volunteers recorded
with consent, so that people counts, and their protection, show on a fresh install.

Each is created as a connector would create them (app/services/assets/records.py: consent record,
public 1 km square, random record key, audit event), with a written consent lapsing two years
after loading. Loading again changes nothing: a person already held (by source id) is left.
"""

import csv
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.schemas.assets import AssetCreate
from app.services.assets.records import create_asset, find_by_source

CONSENT_FOR = timedelta(days=730)
NOTICE = "aberllyn-demo-1"


@dataclass(frozen=True)
class PersonProblem:
    """A line of the file that could not be loaded, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class DemoPeopleReport:
    """What loading the demo's people did."""

    created: int = 0
    unchanged: int = 0
    problems: list[PersonProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every line could be loaded."""
        return not self.problems

    def summary(self) -> str:
        """What changed."""
        return f"{self.created} fictional people created, {self.unchanged} unchanged"


def load_demo_people(session: Session, path: Path) -> DemoPeopleReport:
    """Create the people of the file who are not held yet (flushed, not committed)."""
    report = DemoPeopleReport()
    expires = utcnow() + CONSENT_FOR
    with path.open(encoding="utf-8", newline="") as source:
        for line, row in enumerate(csv.DictReader(source), start=2):
            if find_by_source(session, row["source"], row["source_id"]):
                report.unchanged += 1
                continue
            point = [float(row["lon"]), float(row["lat"])]
            body = {
                **{k: row[k] for k in ("kind", "name_en", "name_cy", "email", "source")},
                **{k: row[k] for k in ("description_en", "description_cy", "source_id")},
                "themes": row["themes"].split(";"),
                "location": {"type": "Point", "coordinates": point},
                "status": "published",
                "consent": {"method": "written", "notice_version": NOTICE, "expires_at": expires},
            }
            try:
                data = AssetCreate.model_validate(body)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                report.problems.append(PersonProblem(line, f"{where}: {first['msg']}"))
                continue
            create_asset(session, actor="demo", data=data)
            report.created += 1
    return report
