""" "Missing here" in the service: a signed-in resident reports a gap, others say "me too", and a
connector or planner of the patch publishes (as a deficit at its 100 m square), merges or
declines it. Supports are published only through the people rule."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyproj import Transformer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import AuditEvent, Deficit, Gap, GapSupport, User
from app.schemas.gaps import GapCreate
from app.services import users
from app.services.assets.visibility import Viewer
from app.services.coproduction import gap_decisions, gaps, published_gaps
from app.services.people.disclosure import PERTURBATION
from tests.conftest import Patches

HOME = (-3.254321, 51.456789)  # inside the west patch


@pytest.fixture(autouse=True)
def no_gaps(session: Session) -> Iterator[None]:
    """Gaps outlive the shared fixture's cleaning: empty them before each test."""
    session.execute(delete(GapSupport))
    session.execute(delete(Gap))
    session.commit()
    yield


@pytest.fixture
def person(session: Session) -> Callable[..., Viewer]:
    """A new user of a role (a connector optionally scoped to area codes), as a Viewer."""
    made = 0

    def make(role: str = "resident", patch: list[str] | None = None) -> Viewer:
        nonlocal made
        made += 1
        user = users.create_user(
            session, email=f"g{role}{made}@example.org", role=role, actor="test", patch=patch
        )
        session.commit()
        return users.viewer_of(user)

    return make


def report(session: Session, viewer: Viewer, **overrides: Any) -> gaps.GapView:
    body: dict[str, Any] = {"theme": "food", "text": "No food bank near here", "near": list(HOME)}
    body.update(overrides)
    view = gaps.create_gap(session, viewer, GapCreate.model_validate(body))
    session.commit()
    return view


def fix_keys(session: Session, gap_id: int, noise: int = 0) -> None:
    """Record keys that draw this noise, so published counts are exact in the test."""
    keys = session.scalars(select(GapSupport).where(GapSupport.gap_id == gap_id)).all()
    for n, s in enumerate(keys):
        s.record_key = PERTURBATION.index(noise) if n == 0 else 0
    session.commit()


def supporters(session: Session, gap_id: int, n: int, person: Callable[..., Viewer]) -> None:
    for _ in range(n):
        gaps.support(session, person(), gap_id)
    session.commit()


def test_a_report_is_pending_routed_to_its_area_and_supported_by_its_reporter(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    resident = person()
    view = report(session, resident)
    assert view.status == "pending"
    assert view.area_code == patches.west
    assert view.supported_by_you and view.reported_by_you
    assert view.point is None  # a resident sees no point of a pending gap, not even back
    assert session.scalar(select(func.count()).select_from(GapSupport)) == 1


def test_the_audit_trail_keeps_neither_the_words_nor_the_place(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    report(session, person(), text="Nothing for carers on Heol Secret")
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "gap"))
    assert "Secret" not in str(event.changes) and str(HOME[0]) not in str(event.changes)


def test_bad_reports_are_refused_and_nothing_is_stored(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    resident = person()
    with pytest.raises(InvalidInput) as refused:
        report(session, resident, theme="no_such_theme")
    assert refused.value.loc == ("body", "theme")
    with pytest.raises(InvalidInput) as refused:
        report(session, resident, near=None, postcode="CF99 9ZZ")
    assert refused.value.loc == ("body", "postcode")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Gap)) == 0
    with pytest.raises(Forbidden):
        report(session, Viewer(actor="admin", role="admin"))


def test_me_too_is_one_per_resident_and_undoable(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    gap = report(session, person())
    gap_decisions.publish_gap(session, person("planner"), gap.id)
    other = person()
    assert gaps.support(session, other, gap.id).supported_by_you
    gaps.support(session, other, gap.id)
    session.commit()
    assert session.scalar(select(func.count()).where(GapSupport.gap_id == gap.id)) == 2
    assert not gaps.unsupport(session, other, gap.id).supported_by_you
    assert session.scalar(select(func.count()).where(GapSupport.gap_id == gap.id)) == 1


def test_residents_cannot_see_or_support_others_pending_gaps(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    gap = report(session, person())
    with pytest.raises(NotFound):
        gaps.support(session, person(), gap.id)
    assert gaps.list_gaps(session, person()) == []


def test_support_counts_are_published_through_the_people_rule(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    gap = report(session, person())
    gap_decisions.publish_gap(session, person("planner"), gap.id)
    session.commit()
    supporters(session, gap.id, 3, person)
    fix_keys(session, gap.id)
    assert gaps.view_of(session, person(), gap.id).supports is None  # 4: fewer than 5
    assert gaps.view_of(session, person(), gap.id).supports_shown_as == "fewer than 5"
    supporters(session, gap.id, 2, person)
    fix_keys(session, gap.id)
    assert gaps.view_of(session, person(), gap.id).supports == 6


def test_publishing_makes_a_deficit_at_the_centre_of_a_100_m_square(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    gap = report(session, person(), text="Dim clwb ieuenctid", language="cy", theme="young_people")
    view = gap_decisions.publish_gap(session, person("planner"), gap.id, severity=4)
    session.commit()
    deficit = session.get(Deficit, view.deficit_id)
    assert deficit is not None
    assert (deficit.title_cy, deficit.title_en, deficit.severity) == ("Dim clwb ieuenctid", None, 4)
    assert (deficit.source, deficit.source_id, deficit.reporter) == ("residents", str(gap.id), None)
    assert view.point is not None and view.point != HOME
    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_grid.transform(*view.point)
    home_x, home_y = to_grid.transform(*HOME)
    assert round(x % 100) == 50 and round(y % 100) == 50
    assert (x // 100, y // 100) == (home_x // 100, home_y // 100)


def test_a_long_text_is_shortened_for_the_title_and_kept_whole_in_the_description(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    text = "word " * 150
    gap = report(session, person(), text=text)
    view = gap_decisions.publish_gap(session, person("admin"), gap.id)
    deficit = session.get(Deficit, view.deficit_id)
    assert deficit is not None and deficit.title_en is not None
    assert len(deficit.title_en) <= 300 and deficit.title_en.endswith("…")
    assert deficit.description_en == text.strip()


def test_connectors_decide_only_their_patch(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    gap = report(session, person())
    east = person("connector", patch=[patches.east])
    west = person("connector", patch=[patches.west])
    assert gaps.pending_gaps(session, east) == []
    assert [g.id for g in gaps.pending_gaps(session, west)] == [gap.id]
    with pytest.raises(NotFound):
        gap_decisions.publish_gap(session, east, gap.id)
    with pytest.raises(Forbidden):
        gaps.pending_gaps(session, person())
    with pytest.raises(Forbidden):
        gap_decisions.decline_gap(session, person(), gap.id, "no")
    assert gap_decisions.publish_gap(session, west, gap.id).status == "published"


def test_a_gap_is_decided_once(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    gap = report(session, person())
    planner = person("planner")
    gap_decisions.decline_gap(session, planner, gap.id, "There is one on Heol y Llan")
    session.commit()
    with pytest.raises(Conflict):
        gap_decisions.publish_gap(session, planner, gap.id)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Deficit)) == 0


def test_declining_needs_a_reason_the_reporter_sees(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    resident = person()
    gap = report(session, resident)
    with pytest.raises(InvalidInput) as refused:
        gap_decisions.decline_gap(session, person("planner"), gap.id, "  ")
    assert refused.value.loc == ("body", "reason")
    gap_decisions.decline_gap(session, person("planner"), gap.id, "Already on the map")
    session.commit()
    assert resident.user_id is not None
    (mine,) = gaps.gaps_of(session, resident.user_id)
    assert (mine.status, mine.decline_reason) == ("declined", "Already on the map")
    with pytest.raises(Conflict):
        gaps.support(session, resident, gap.id)


def test_merging_moves_supports_without_doubling_anybody(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    first_reporter, second_reporter, both = person(), person(), person()
    planner = person("planner")
    first = report(session, first_reporter)
    second = report(session, second_reporter, near=[HOME[0] + 0.001, HOME[1]])
    gap_decisions.publish_gap(session, planner, first.id)
    session.commit()
    gaps.support(session, both, first.id)
    # `both` supports the second too: allowed only once it is visible, so the planner merges
    # after adding it directly as a support of the pending gap.
    session.add(GapSupport(gap_id=second.id, user_id=both.user_id, record_key=0))
    session.commit()
    assert [g.id for g in gap_decisions.merge_candidates(session, planner, second.id)] == [first.id]
    target = gap_decisions.merge_gap(session, planner, second.id, first.id)
    session.commit()
    assert target.id == first.id
    users_of = set(session.scalars(select(GapSupport.user_id).where(GapSupport.gap_id == first.id)))
    assert users_of == {first_reporter.user_id, second_reporter.user_id, both.user_id}
    merged = session.get(Gap, second.id)
    assert merged is not None and (merged.status, merged.merged_into_id) == ("merged", first.id)
    assert second_reporter.user_id is not None
    statuses = {g.id: g.status for g in gaps.gaps_of(session, second_reporter.user_id)}
    assert statuses == {first.id: "published", second.id: "merged"}


def test_merging_into_itself_or_a_declined_gap_is_refused(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    planner = person("planner")
    first, second = report(session, person()), report(session, person())
    gap_decisions.decline_gap(session, planner, first.id, "duplicate")
    with pytest.raises(InvalidInput):
        gap_decisions.merge_gap(session, planner, second.id, second.id)
    with pytest.raises(InvalidInput):
        gap_decisions.merge_gap(session, planner, second.id, first.id)


def test_deleting_the_reporter_keeps_the_gap_and_drops_their_support(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    resident = person()
    gap = report(session, resident)
    session.execute(delete(User).where(User.id == resident.user_id))
    session.commit()
    kept = session.get(Gap, gap.id)
    session.refresh(kept)
    assert kept is not None and kept.reporter_id is None
    assert session.scalar(select(func.count()).select_from(GapSupport)) == 0


def test_area_gap_supports_sum_published_counts_by_area(
    session: Session, patches: Patches, person: Callable[..., Viewer]
) -> None:
    gap = report(session, person())
    gap_decisions.publish_gap(session, person("planner"), gap.id)
    session.commit()
    supporters(session, gap.id, 6, person)
    fix_keys(session, gap.id)
    west = gaps.view_of(session, person(), gap.id).area_id
    assert published_gaps.area_gap_supports(session, theme="food", level="lsoa") == {west: 7}
    assert published_gaps.area_gap_supports(session, theme="housing", level="lsoa") == {}
