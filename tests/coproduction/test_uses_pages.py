""" "I use this" on the asset page: the published count for everybody, a no-JavaScript button
for a signed-in resident, and "I can help with this" leading to the offer form."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AssetUse
from app.services import users
from app.settings import Settings


def sign_in(client: TestClient, session: Session, settings: Settings, n: int = 1) -> None:
    """Give the client a page session of a new resident."""
    user = users.create_user(
        session, email=f"page-resident{n}@example.org", role="resident", actor="test"
    )
    secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    client.cookies.set("assetmap_session", secret)


def _marks(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(AssetUse)) or 0)


@pytest.mark.parametrize(
    ("path", "count", "sign"),
    [
        ("/assets/{id}", "Fewer than 5 residents use this.", "Sign in to say you use this"),
        (
            "/cy/assets/{id}",
            "Mae llai na 5 o drigolion yn defnyddio hwn.",
            "Mewngofnodwch i ddweud eich bod yn defnyddio hwn",
        ),
    ],
)
def test_visitors_see_the_count_and_how_to_sign_in(
    client: TestClient, make_asset: Any, path: str, count: str, sign: str
) -> None:
    asset_id = make_asset(themes=["food"])
    html = client.get(path.format(id=asset_id)).text
    assert count in html and sign in html
    assert 'name="use"' not in html
    assert "/offer?theme=food" in html


def test_a_resident_says_they_use_it_and_takes_it_back_without_javascript(
    client: TestClient, session: Session, settings: Settings, make_asset: Any
) -> None:
    asset_id = make_asset()
    sign_in(client, session, settings)
    page = client.get(f"/assets/{asset_id}").text
    assert 'value="yes"' in page and "I use this" in page
    response = client.post(f"/assets/{asset_id}/use", data={"use": "yes"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/assets/{asset_id}#uses"
    assert _marks(session) == 1
    page = client.get(f"/assets/{asset_id}").text
    assert "I no longer use this" in page and "You said you use this." in page
    response = client.post(f"/cy/assets/{asset_id}/use", data={"use": "no"}, follow_redirects=False)
    assert response.headers["location"] == f"/cy/assets/{asset_id}#uses"
    assert _marks(session) == 0


def test_a_bad_answer_or_asset_changes_nothing(
    client: TestClient, session: Session, settings: Settings, make_asset: Any
) -> None:
    asset_id = make_asset()
    pending = make_asset(status="pending")
    sign_in(client, session, settings)
    assert client.post(f"/assets/{asset_id}/use", data={"use": "maybe"}).status_code == 422
    assert client.post(f"/assets/{pending}/use", data={"use": "yes"}).status_code == 404
    assert client.post("/assets/0/use", data={"use": "yes"}).status_code == 422
    assert _marks(session) == 0


def test_visitors_cannot_post(client: TestClient, session: Session, make_asset: Any) -> None:
    asset_id = make_asset()
    response = client.post(f"/assets/{asset_id}/use", data={"use": "yes"}, follow_redirects=False)
    assert response.status_code == 401
    assert _marks(session) == 0


def test_a_shown_count_is_a_number_in_both_languages(
    client: TestClient, session: Session, make_asset: Any, make_user: Any
) -> None:
    from sqlalchemy import update

    from app.services.people.disclosure import PERTURBATION

    asset_id = make_asset()
    for _ in range(7):
        client.put(f"/api/v1/assets/{asset_id}/use", headers=make_user("resident"))
    session.execute(update(AssetUse).values(record_key=0))
    first = session.scalar(select(func.min(AssetUse.user_id)))
    session.execute(
        update(AssetUse).where(AssetUse.user_id == first).values(record_key=PERTURBATION.index(0))
    )
    session.commit()
    assert "7 residents use this." in client.get(f"/assets/{asset_id}").text
    assert "Mae 7 o drigolion yn defnyddio hwn." in client.get(f"/cy/assets/{asset_id}").text
