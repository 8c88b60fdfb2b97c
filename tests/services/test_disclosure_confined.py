"""People's figures have one source: only app/services/people/disclosure.py reads where people are
counted (public locations and their record keys); everything else that shows people asks it."""

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
# Who may touch public locations at all: the model, the one place that counts from them, the
# place that saves them (with a new record key) and erasure (which deletes them).
ALLOWED = {
    "models/__init__.py",
    "models/people.py",
    "services/people/disclosure.py",
    "services/people/consents.py",
    "services/people/erasure.py",
}
# Residents' marks ("I use this", "me too" on a gap) carry record keys too and publish their
# counts by the same rule; only these modules hold them.
MARKS = {
    "models/coproduction.py",
    "services/coproduction/uses.py",
    "services/coproduction/gaps.py",
}
READS = re.compile(r"\b(PublicLocation|public_locations|record_key)\b")
COUNTS = re.compile(r"\bpublish\(|\b_tallies\b|PERTURBATION\[")


def _sources() -> dict[str, str]:
    return {str(p.relative_to(APP)): p.read_text(encoding="utf-8") for p in APP.rglob("*.py")}


def test_only_the_disclosure_module_reads_where_people_are_counted() -> None:
    readers = {name for name, text in _sources().items() if READS.search(text)} - MARKS
    assert readers <= ALLOWED, sorted(readers - ALLOWED)
    savers = {name for name in readers if "record_key" in _sources()[name]}
    assert savers <= {
        "models/people.py",
        "services/people/disclosure.py",
        "services/people/consents.py",
    }


def test_only_the_disclosure_module_turns_counts_into_figures() -> None:
    counters = {name for name, text in _sources().items() if COUNTS.search(text)}
    assert counters - MARKS == {"services/people/disclosure.py"}


def test_residents_marks_publish_only_through_the_people_rule() -> None:
    sources = _sources()
    for name in MARKS & set(sources):
        if name.startswith("services/"):
            assert "from app.services.people.disclosure import" in sources[name], name
            assert "PERTURBATION" not in sources[name], name


def test_every_route_that_shows_people_asks_the_disclosure_module() -> None:
    shows_people = {
        "api/people.py",
        "services/needs/profiles.py",
        "services/people/introductions.py",
        "web/planner_views.py",
    }
    sources = _sources()
    for name in shows_people:
        assert "disclosure" in sources[name], name
