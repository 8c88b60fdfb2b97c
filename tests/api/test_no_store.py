"""`Cache-Control: no-store` on every response that can show people, connector pages or who is
signed in: every GET route (pages and API, both languages) walked as a resident, a connector, a
planner and an admin with the session cookie, and with a bearer token; anonymous public pages
and data stay cacheable."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.http.access import SESSION_COOKIE
from app.main import create_app
from app.services import users
from app.settings import Settings
from tests.conftest import ADMIN, Patches, person_body

# Routes that are the same bytes for everybody: never no-store'd for a cookie.
SHARED = ("/static/", "/favicon.ico")
# Walks routes, not data: once is enough.
pytestmark = pytest.mark.backend("spatialite")


@dataclass
class World:
    """A published asset, a person, the west patch's code and a user."""

    asset_id: int
    person_id: int
    code: str
    user_id: int


@pytest.fixture
def world(client: TestClient, session: Session, patches: Patches) -> World:
    west = {"type": "Point", "coordinates": list(patches.west_point)}
    asset = client.post(
        "/api/v1/assets",
        json={"kind": "group", "name_en": "Lunch club", "location": west, "status": "published"},
        headers=ADMIN,
    )
    person = client.post("/api/v1/assets", json=person_body(location=west), headers=ADMIN)
    assert asset.status_code == person.status_code == 201, person.text
    user = users.create_user(session, email="someone@example.org", role="resident", actor="t")
    session.commit()
    return World(asset.json()["id"], person.json()["id"], patches.west, user.id)


def routes(candidates: list[Any]) -> Iterator[Any]:
    """Every route of the app (FastAPI includes routers lazily)."""
    for route in candidates:
        if hasattr(route, "effective_candidates"):
            yield from routes(route.effective_candidates())
        else:
            yield route


def get_paths(app: Any, world: World) -> list[str]:
    """Every GET route's path (both languages), its parameters filled from the world."""
    values = {
        "asset_id": world.person_id,  # a person: what must never be cached
        "featureId": world.person_id,
        "id": world.person_id,
        "code": world.code,
        "postcode": "CF10 1AA",
        "gap_id": 1,
        "deficit_id": 1,
        "user_id": world.user_id,
        "collectionId": "assets",
        "path": "css/site.css",
        "layer": "assets",
        "z": 14,
        "x": 8047,
        "y": 5404,
    }
    paths = []
    for route in routes(app.routes):
        if not hasattr(route, "dependant") or "GET" not in (route.methods or ()):
            continue
        names = re.findall(r"\{(\w+)(?::\w+)?\}", route.path)
        missing = [n for n in names if n not in values]
        assert not missing, f"{route.path}: add a value for {missing} to get_paths"
        paths.append(re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), route.path))
    return sorted(set(paths))


@pytest.fixture
def signed_in(
    settings: Settings, session: Session, patches: Patches
) -> Iterator[Callable[[str], TestClient]]:
    """A client of a fresh app with a page session cookie of a new user with a role (a
    connector of the west patch)."""
    app = create_app(settings)
    made: list[TestClient] = []

    def client_as(role: str) -> TestClient:
        patch = [patches.west] if role == "connector" else None
        user = users.create_user(
            session, email=f"{role}@example.org", role=role, actor="t", patch=patch
        )
        secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
        session.commit()
        client = TestClient(app)
        client.cookies.set(SESSION_COOKIE, secret)
        made.append(client)
        return client

    yield client_as
    for client in made:
        client.close()


def cached(client: TestClient, paths: list[str], **headers: str) -> list[str]:
    """The paths (outside /static) whose answer to this client is not no-store."""
    found = []
    for path in paths:
        if path.startswith(SHARED):
            continue
        response = client.get(path, headers=headers, follow_redirects=False)
        if response.headers.get("cache-control") != "no-store":
            found.append(f"{path} {response.status_code} {response.headers.get('cache-control')}")
    return found


@pytest.mark.parametrize("role", ["resident", "connector", "planner", "admin"])
def test_every_response_to_a_signed_in_user_is_no_store(
    signed_in: Callable[[str], TestClient], world: World, role: str
) -> None:
    client = signed_in(role)
    paths = get_paths(client.app, world)
    assert len(paths) > 80
    assert "/connector" in paths and f"/assets/{world.person_id}" in paths
    assert cached(client, paths) == []


def test_every_response_to_a_bearer_token_is_no_store(client: TestClient, world: World) -> None:
    assert cached(client, get_paths(client.app, world), **ADMIN) == []


def test_signing_in_and_out_are_no_store(client: TestClient, make_user: Callable[..., Any]) -> None:
    make_user("resident", password="correct horse battery")
    signed = client.post(
        "/api/v1/auth/session",
        json={"email": "resident1@example.org", "password": "correct horse battery"},
    )
    assert signed.status_code == 200 and signed.headers["cache-control"] == "no-store"
    out = client.post("/sign-out", follow_redirects=False)
    assert out.headers["cache-control"] == "no-store"


def test_anonymous_public_pages_and_data_stay_cacheable(client: TestClient, world: World) -> None:
    for path in (
        "/",
        "/cy/",
        "/search?q=lunch",
        f"/assets/{world.asset_id}",
        f"/cy/assets/{world.asset_id}",
        "/api/v1/assets",
        f"/api/v1/assets/{world.asset_id}",
        "/static/css/site.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("cache-control", ""), path


def test_static_files_keep_their_caching_when_asked_with_a_cookie(
    signed_in: Callable[[str], TestClient],
) -> None:
    response = signed_in("resident").get("/static/css/site.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
