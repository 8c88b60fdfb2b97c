"""Fixtures for spatial tests: a table with enough rows that planners prefer an index."""

import random

import pytest
from sqlalchemy import Engine, insert, text

from app.models import Asset
from app.spatial.geometry import point_element


@pytest.fixture
def many_assets(db: Engine) -> int:
    """5,000 published assets scattered over south Wales (seeded), statistics up to date."""
    rng = random.Random(7)
    rows = [
        {
            "kind": "group",
            "name_en": f"Group {i}",
            "search_text": f"group {i}",
            "location": point_element(rng.uniform(-4.5, -2.7), rng.uniform(51.3, 52.0)),
            "status": "published",
            "opening_hours": [],
            "accessibility": [],
            "languages": [],
            "version": 1,
        }
        for i in range(5000)
    ]
    with db.begin() as connection:
        connection.execute(insert(Asset), rows)
    with db.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return len(rows)
