"""No lost update, ever: two editors holding the same ETag race; exactly one wins every round.

Each round, two threads with their own sessions (their own connections) change the same record
at the version both read, released together by a barrier. The version check is part of the
write (services/versions.py), so one gets its change and the other a 412, on both databases:
never two winners (a silently lost change) and never a 500 ("database is locked", a unique
violation). A refused change leaves nothing: no audit event, no version bump.
"""

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.errors import Conflict, PreconditionFailed
from app.models import Asset, AuditEvent, Deficit
from app.schemas.assets import AssetCreate, AssetUpdate
from app.schemas.deficits import DeficitCreate, DeficitUpdate
from app.schemas.moderation import AssetDecision
from app.services.assets import moderation
from app.services.assets import records as asset_service
from app.services.assets.visibility import Viewer
from app.services.needs import deficits as deficit_service
from app.settings import Settings
from tests.api.conftest import serve
from tests.conftest import ADMIN, asset_body

ROUNDS = 200
HTTP_ROUNDS = 40
EDITORS = [Viewer(actor=f"editor-{n}", role="admin") for n in (1, 2)]

Change = Callable[[Session, Viewer, int, int], None]


def _race(db: Engine, change: Change, record_id: int, version: int) -> list[str]:
    """Both editors change the record at `version` at once; each one's outcome."""
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[str] = ["", ""]

    def editor(n: int) -> None:
        with Session(db, expire_on_commit=False) as session:
            barrier.wait()
            try:
                change(session, EDITORS[n], record_id, version)
                session.commit()
                outcomes[n] = "200"
            except PreconditionFailed:
                session.rollback()
                outcomes[n] = "412"
            except Exception as exc:  # anything else is a failure of the test, shown by name
                session.rollback()
                outcomes[n] = f"{type(exc).__name__}: {exc}"[:300]

    threads = [threading.Thread(target=editor, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _rounds(db: Engine, change: Change, record_id: int, version_of: Callable[[], int]) -> None:
    tally: dict[str, int] = {}
    for _ in range(ROUNDS):
        outcomes = _race(db, change, record_id, version_of())
        key = " + ".join(sorted(outcomes))
        tally[key] = tally.get(key, 0) + 1
    assert tally == {"200 + 412": ROUNDS}, tally


def _events(session: Session, entity_type: str, entity_id: int) -> dict[str, int]:
    rows = session.execute(
        select(AuditEvent.action, func.count())
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .group_by(AuditEvent.action)
    )
    return {action: count for action, count in rows}


def test_two_editors_of_one_asset_version_never_both_win(db: Engine) -> None:
    with Session(db) as session:
        asset = asset_service.create_asset(
            session, actor="setup", data=AssetCreate.model_validate(asset_body())
        )
        session.commit()
        asset_id = asset.id

    def change(session: Session, viewer: Viewer, asset_id: int, version: int) -> None:
        data = AssetUpdate(name_en=f"{viewer.actor} at v{version}", themes=["food"])
        asset_service.update_asset(
            session, viewer=viewer, asset_id=asset_id, expected_version=version, data=data
        )

    def version_of() -> int:
        with Session(db) as session:
            return int(session.scalar(select(Asset.version).where(Asset.id == asset_id)) or 0)

    _rounds(db, change, asset_id, version_of)
    with Session(db) as session:
        stored = session.get_one(Asset, asset_id)
        assert stored.version == 1 + ROUNDS
        assert stored.name_en is not None and stored.name_en.endswith(f"at v{ROUNDS}")
        assert stored.theme_codes == ["food"]
        assert _events(session, "asset", asset_id) == {"create": 1, "update": ROUNDS}


def test_two_editors_of_one_deficit_version_never_both_win(db: Engine) -> None:
    body = {
        "theme": "transport",
        "title_en": "No bus after 7pm",
        "severity": 3,
        "location": {"type": "Point", "coordinates": [-3.1566, 51.4812]},
    }
    with Session(db) as session:
        deficit = deficit_service.create_deficit(
            session, actor="setup", data=DeficitCreate.model_validate(body)
        )
        session.commit()
        deficit_id = deficit.id

    def change(session: Session, viewer: Viewer, deficit_id: int, version: int) -> None:
        data = DeficitUpdate(title_en=f"{viewer.actor} at v{version}")
        deficit_service.update_deficit(
            session, viewer=viewer, deficit_id=deficit_id, expected_version=version, data=data
        )

    def version_of() -> int:
        with Session(db) as session:
            found = session.scalar(select(Deficit.version).where(Deficit.id == deficit_id))
            return int(found or 0)

    _rounds(db, change, deficit_id, version_of)
    with Session(db) as session:
        stored = session.get_one(Deficit, deficit_id)
        assert stored.version == 1 + ROUNDS
        assert _events(session, "deficit", deficit_id) == {"create": 1, "update": ROUNDS}


def test_an_archive_racing_an_edit_of_the_same_version_refuses_one(db: Engine) -> None:
    """Different kinds of change at one version: still exactly one of them."""
    with Session(db) as session:
        ids = []
        for n in range(20):
            data = AssetCreate.model_validate(asset_body(name_en=f"Club {n}"))
            ids.append(asset_service.create_asset(session, actor="setup", data=data).id)
        session.commit()

    def change(session: Session, viewer: Viewer, asset_id: int, version: int) -> None:
        if viewer is EDITORS[0]:
            asset_service.archive_asset(
                session, viewer=viewer, asset_id=asset_id, expected_version=version
            )
        else:
            data = AssetUpdate(description_en="edited")
            asset_service.update_asset(
                session, viewer=viewer, asset_id=asset_id, expected_version=version, data=data
            )

    for asset_id in ids:
        assert sorted(_race(db, change, asset_id, 1)) == ["200", "412"]
        with Session(db) as session:
            stored = session.get_one(Asset, asset_id)
            assert stored.version == 2
            assert (stored.status == "archived") != (stored.description_en == "edited")


@pytest.mark.parametrize("resource", ["assets", "deficits"])
def test_over_http_two_patches_with_one_etag_give_one_200_and_one_412(
    settings: Settings, resource: str
) -> None:
    """The same race through a real server: the loser gets 412, never 200 or 500."""
    if resource == "assets":
        body: dict[str, Any] = asset_body()
    else:
        body = {
            "theme": "transport",
            "title_en": "No bus after 7pm",
            "severity": 3,
            "location": {"type": "Point", "coordinates": [-3.1566, 51.4812]},
        }
    field = "name_en" if resource == "assets" else "title_en"
    with serve(settings) as live, httpx.Client(base_url=live.url, headers=ADMIN) as http:
        created = http.post(f"/api/v1/{resource}", json=body)
        assert created.status_code == 201, created.text
        url = f"/api/v1/{resource}/{created.json()['id']}"
        tally: dict[str, int] = {}
        for n in range(HTTP_ROUNDS):
            etag = http.get(url).headers["ETag"]
            barrier = threading.Barrier(2, timeout=30)
            statuses = [0, 0]

            def patch(
                k: int,
                etag: str = etag,
                n: int = n,
                barrier: Any = barrier,
                statuses: list[int] = statuses,
            ) -> None:
                barrier.wait()
                answer = http.patch(
                    url, json={field: f"editor {k} round {n}"}, headers={"If-Match": etag}
                )
                statuses[k] = answer.status_code

            threads = [threading.Thread(target=patch, args=(k,)) for k in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            key = " + ".join(str(s) for s in sorted(statuses))
            tally[key] = tally.get(key, 0) + 1
        assert tally == {"200 + 412": HTTP_ROUNDS}, tally
        final = http.get(url)
        assert final.headers["ETag"].endswith(f'-v{1 + HTTP_ROUNDS}"')


def test_two_connectors_deciding_one_suggestion_at_once_decide_it_once(db: Engine) -> None:
    """Moderation changes a suggestion at the version it read: one decision, one 409."""
    with Session(db) as session:
        ids = []
        for n in range(20):
            body = asset_body(name_en=f"Suggested {n}", status="pending", source="suggestion")
            data = AssetCreate.model_validate(body)
            ids.append(asset_service.create_asset(session, actor="resident", data=data).id)
        session.commit()

    def decide(session: Session, viewer: Viewer, asset_id: int, version: int) -> None:
        publish = viewer is EDITORS[0]
        decision = AssetDecision(
            decision="publish" if publish else "reject", reason=None if publish else "duplicate"
        )
        try:
            moderation.decide_asset(session, viewer=viewer, asset_id=asset_id, decision=decision)
        except Conflict as exc:
            raise PreconditionFailed(str(exc)) from exc  # counted as the refused one

    for asset_id in ids:
        assert sorted(_race(db, decide, asset_id, 1)) == ["200", "412"]
        with Session(db) as session:
            assert session.get_one(Asset, asset_id).version == 2
            decided = _events(session, "asset", asset_id)
            assert decided.get("publish", 0) + decided.get("reject", 0) == 1, decided
