""" "I use this": one mark per resident per public asset, shown only as a published count."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import AssetUse
from app.services.people.disclosure import PERTURBATION
from tests.conftest import ADMIN, person_body


def _uses(client: TestClient, asset_id: int, headers: dict[str, str] | None = None) -> Any:
    response = client.get(f"/api/v1/assets/{asset_id}/uses", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def _marks(session: Session, asset_id: int) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).where(AssetUse.asset_id == asset_id)) or 0)


def test_nobody_uses_a_new_asset_and_it_says_fewer_than_5(
    client: TestClient, make_asset: Any
) -> None:
    asset_id = make_asset()
    assert _uses(client, asset_id) == {
        "residents": None,
        "shown_as": "fewer than 5",
        "you_use_it": False,
    }


def test_a_resident_marks_once_and_can_take_it_back(
    client: TestClient, session: Session, make_asset: Any, make_user: Any
) -> None:
    asset_id = make_asset()
    resident = make_user("resident")
    for _ in range(2):
        response = client.put(f"/api/v1/assets/{asset_id}/use", headers=resident)
        assert response.status_code == 200, response.text
        assert response.json()["you_use_it"] is True
    assert _marks(session, asset_id) == 1
    assert _uses(client, asset_id, resident)["you_use_it"] is True
    assert _uses(client, asset_id)["you_use_it"] is False  # nobody else is told
    assert client.delete(f"/api/v1/assets/{asset_id}/use", headers=resident).status_code == 204
    assert client.delete(f"/api/v1/assets/{asset_id}/use", headers=resident).status_code == 204
    assert _marks(session, asset_id) == 0
    assert _uses(client, asset_id, resident)["you_use_it"] is False


def test_marking_needs_an_account(client: TestClient, make_asset: Any) -> None:
    asset_id = make_asset()
    assert client.put(f"/api/v1/assets/{asset_id}/use").status_code == 401
    assert client.delete(f"/api/v1/assets/{asset_id}/use").status_code == 401
    # The admin token is nobody's account: it cannot use anything.
    assert client.put(f"/api/v1/assets/{asset_id}/use", headers=ADMIN).status_code == 403


@pytest.mark.parametrize("which", ["pending", "person", "missing"])
def test_only_published_public_assets_can_be_marked_or_counted(
    client: TestClient, make_asset: Any, make_user: Any, which: str
) -> None:
    resident = make_user("resident")
    asset_id = {
        "pending": lambda: make_asset(status="pending"),
        "person": lambda: make_asset(**person_body()),
        "missing": lambda: 999_999,
    }[which]()
    assert client.put(f"/api/v1/assets/{asset_id}/use", headers=resident).status_code == 404
    assert client.get(f"/api/v1/assets/{asset_id}/uses").status_code == 404


def test_bad_ids_are_refused_with_their_field(client: TestClient, make_user: Any) -> None:
    response = client.put("/api/v1/assets/abc/use", headers=make_user("resident"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "asset_id"]


def test_the_count_is_published_by_the_people_rule(
    client: TestClient, session: Session, make_asset: Any, make_user: Any
) -> None:
    asset_id = make_asset()
    for _ in range(7):
        assert client.put(f"/api/v1/assets/{asset_id}/use", headers=make_user("resident"))
    answer = _uses(client, asset_id)
    assert answer["residents"] is not None and 5 <= answer["residents"] <= 9
    assert answer["shown_as"] == str(answer["residents"])
    assert _uses(client, asset_id) == answer  # the same every time
    # With keys whose cell draws no noise the figure is the true count.
    session.execute(update(AssetUse).values(record_key=0))
    session.execute(
        update(AssetUse)
        .where(
            AssetUse.asset_id == asset_id,
            AssetUse.user_id == select(func.min(AssetUse.user_id)).scalar_subquery(),
        )
        .values(record_key=PERTURBATION.index(0))
    )
    session.commit()
    assert _uses(client, asset_id)["residents"] == 7


def test_two_uses_are_always_fewer_than_5(
    client: TestClient, make_asset: Any, make_user: Any
) -> None:
    asset_id = make_asset()
    # 2 plus the most noise (+2) is still under 5; 3 may show as 5.
    for _ in range(2):
        client.put(f"/api/v1/assets/{asset_id}/use", headers=make_user("resident"))
    assert _uses(client, asset_id)["residents"] is None


def test_an_unconfirmed_account_marks_nothing(
    client: TestClient, session: Session, settings: Any, make_asset: Any
) -> None:
    from app.services import users

    asset_id = make_asset()
    user = users.create_user(
        session, email="new@example.org", role="resident", actor="test", confirmed=False
    )
    token = users.issue_token(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.put(f"/api/v1/assets/{asset_id}/use", headers=headers).status_code == 401
    assert _marks(session, asset_id) == 0


def test_a_mark_made_meanwhile_is_an_answer_not_an_error(
    session: Session, make_asset: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.models import User
    from app.services.assets.visibility import Viewer
    from app.services.coproduction import uses

    asset_id = make_asset()
    make_user("resident")
    user_id = session.scalar(select(User.id).where(User.role == "resident"))
    viewer = Viewer(actor=f"resident:{user_id}", role="resident", user_id=user_id)
    assert uses.mark(session, viewer, asset_id) is True
    session.commit()
    session.expunge_all()
    # As if another request had inserted the row after this one looked for it.
    monkeypatch.setattr(session, "get", lambda *args, **kwargs: None)
    assert uses.mark(session, viewer, asset_id) is False
    session.commit()  # the session is still usable
    monkeypatch.undo()
    assert _marks(session, asset_id) == 1
