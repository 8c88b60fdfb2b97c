"""Every route declares who may call it, and each role gets what it should (the role matrix).

Roles: anonymous, resident, connector of the patch holding the object, connector of another
patch, planner, admin. Objects a role may not see are 404, never 403.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import make_engine
from app.http.access import Access
from app.main import create_app
from app.services.coproduction.offers import NOTICE_VERSION
from app.settings import Settings
from tests.conftest import (
    ADMIN,
    ADMIN_TOKEN,
    Patches,
    add_user,
    asset_body,
    own_database,
    person_body,
    save_patches,
)

# Starlette's own documentation routes (switched off by the `docs` setting); nothing else may
# lack an access rule.
DOCS_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
ROLES = ("anonymous", "resident", "connector_in", "connector_out", "planner", "admin")


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # FastAPI includes routers lazily
            yield from _routes(route.effective_candidates())
        else:
            yield route


def _rules(dependant: Any) -> Iterator[Access]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Access):
            yield dependency.call
        yield from _rules(dependency)


# Reads the app's routes, never the database: once is enough.
@pytest.mark.backend("spatialite")
def test_every_route_declares_exactly_one_access_rule(settings: Settings) -> None:
    app = create_app(settings)
    undeclared, doubled, seen = [], [], 0
    for route in _routes(app.routes):
        if route.path in DOCS_ROUTES:
            continue
        seen += 1
        rules = set(_rules(route.dependant)) if getattr(route, "dependant", None) else set()
        name = f"{sorted(route.methods or [])} {route.path}"
        if not rules:
            undeclared.append(name)
        elif len(rules) > 1:
            doubled.append(name)
    assert seen > 30
    assert undeclared == []
    assert doubled == []


def test_an_access_rule_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        Access("typo", "conector")


@dataclass
class World:
    """Objects in the west patch: a published group, a pending group, a person."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    published: int
    pending: int
    person: int
    patches: Patches
    suggestion: int = 0
    offer: int = 0
    gap: int = 0


def _targets(client: TestClient, patches: Patches) -> dict[str, int]:
    """Add a published group, a pending group, a person and a suggestion in the west patch."""
    west = {"type": "Point", "coordinates": list(patches.west_point)}
    ids = []
    for body in (
        asset_body(location=west),
        asset_body(location=west, status="pending", name_en="Pending group"),
        person_body(location=west),
    ):
        response = client.post("/api/v1/assets", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    suggested = client.post("/api/v1/suggestions", json=_suggestion(west))
    assert suggested.status_code == 201, suggested.text
    published, pending, person = ids
    return {
        "published": published,
        "pending": pending,
        "person": person,
        # An anonymous suggester is told a receipt, not the id: find it in the queue.
        "suggestion": next(
            s["id"]
            for s in client.get("/api/v1/moderation", headers=ADMIN).json()["suggestions"]
            if s["name_en"] == "Knit and natter"
        ),
    }


def _resident_targets(
    client: TestClient, patches: Patches, resident: dict[str, str]
) -> dict[str, int]:
    """The resident's pending offer of help and pending gap, in the west patch."""
    offered = client.post("/api/v1/offers", json=_offer(patches), headers=resident)
    missing = client.post(
        "/api/v1/gaps",
        json={"theme": "food", "text": "No community fridge", "near": list(patches.west_point)},
        headers=resident,
    )
    assert offered.status_code == missing.status_code == 201, (offered.text, missing.text)
    return {"offer": offered.json()["id"], "gap": missing.json()["id"]}


def _offer(patches: Patches) -> dict[str, Any]:
    return {"kind": "volunteer", "theme": "food", "title": "Driving to the food bank",
            "near": list(patches.west_point), "notice_version": f"{NOTICE_VERSION}-en",
            "consent": True}  # fmt: skip


@pytest.fixture(scope="module")
def shared_world(backend_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world per backend (and test process) for every case: built once, on a database of
    its own, since `db` empties the session's database before each test."""
    with own_database(backend_name, tmp_path_factory.mktemp("role_matrix")) as url:
        # One app serves every case, so the anonymous (and the resident's) writes of all cases
        # count against one limit; the limits have their own tests, and here they must not
        # turn a 201 into a 429.
        settings = Settings(
            database_url=url,
            admin_token=ADMIN_TOKEN,
            anonymous_write_limit="100000/hour",
            resident_write_limit="100000/hour",
        )
        engine = make_engine(settings)
        with Session(engine, expire_on_commit=False) as session:
            patches = save_patches(session)
            headers = {
                "anonymous": {},
                "resident": add_user(session, settings, "resident@example.org", "resident"),
                "connector_in": add_user(
                    session, settings, "in@example.org", "connector", patch=[patches.west]
                ),
                "connector_out": add_user(
                    session, settings, "out@example.org", "connector", patch=[patches.east]
                ),
                "planner": add_user(session, settings, "planner@example.org", "planner"),
                "admin": add_user(session, settings, "admin@example.org", "admin"),
            }
        engine.dispose()
        with TestClient(create_app(settings)) as client:
            targets = {
                **_targets(client, patches),
                **_resident_targets(client, patches, headers["resident"]),
            }
            yield World(client, headers, patches=patches, **targets)


@pytest.fixture
def world(shared_world: World) -> World:
    """The shared world, with no cookies left over from earlier cases."""
    shared_world.client.cookies.clear()
    return shared_world


def _suggestion(where: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "group", "name_en": "Knit and natter", "themes": ["loneliness_befriending"],
            "location": where}  # fmt: skip


def _west(w: World) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(w.patches.west_point)}


def _consent() -> dict[str, Any]:
    return person_body()["consent"]


# (name, method, path, json body) -> expected status per role, in ROLES order.
Operation = tuple[str, str, Callable[[World], str], Callable[[World], Any], tuple[int, ...]]
OPERATIONS: list[Operation] = [
    ("read published asset", "GET", lambda w: f"/api/v1/assets/{w.published}", lambda w: None,
     (200, 200, 200, 200, 200, 200)),
    ("read pending asset", "GET", lambda w: f"/api/v1/assets/{w.pending}", lambda w: None,
     (404, 404, 200, 404, 404, 200)),
    ("read person", "GET", lambda w: f"/api/v1/assets/{w.person}", lambda w: None,
     (404, 404, 200, 404, 404, 200)),
    ("list assets", "GET", lambda w: "/api/v1/assets", lambda w: None,
     (200, 200, 200, 200, 200, 200)),
    ("add asset in patch", "POST", lambda w: "/api/v1/assets",
     lambda w: asset_body(location=_west(w)),
     (401, 403, 201, 403, 403, 201)),
    ("add person in patch", "POST", lambda w: "/api/v1/assets",
     lambda w: person_body(location=_west(w)),
     (401, 403, 201, 403, 403, 201)),
    ("change published asset", "PATCH", lambda w: f"/api/v1/assets/{w.published}",
     lambda w: {"name_en": "Renamed"},
     (401, 403, 200, 403, 403, 200)),
    ("change pending asset", "PATCH", lambda w: f"/api/v1/assets/{w.pending}",
     lambda w: {"status": "published"},
     (401, 403, 200, 404, 403, 200)),
    ("change person", "PATCH", lambda w: f"/api/v1/assets/{w.person}",
     lambda w: {"description_en": "Also baking"},
     (401, 403, 200, 404, 403, 200)),
    ("archive published asset", "DELETE", lambda w: f"/api/v1/assets/{w.published}",
     lambda w: None,
     (401, 403, 204, 403, 403, 204)),
    ("mark published asset checked", "POST", lambda w: f"/api/v1/assets/{w.published}/checks",
     lambda w: None,
     (401, 403, 200, 403, 403, 200)),
    ("mark person checked", "POST", lambda w: f"/api/v1/assets/{w.person}/checks",
     lambda w: None,
     (401, 403, 200, 404, 403, 200)),
    ("renew consent", "POST", lambda w: f"/api/v1/assets/{w.person}/consents",
     lambda w: _consent(),
     (401, 403, 200, 404, 403, 200)),
    ("lapsed consents", "GET", lambda w: "/api/v1/people/lapsed-consents", lambda w: None,
     (401, 403, 200, 200, 403, 200)),
    ("people counts", "GET", lambda w: "/api/v1/people/counts", lambda w: None,
     (200, 200, 200, 200, 200, 200)),
    ("people near", "GET",
     lambda w: f"/api/v1/people/near?near={w.patches.west_point[0]},{w.patches.west_point[1]}",
     lambda w: None,
     (200, 200, 200, 200, 200, 200)),
    ("people in a chosen box: nobody", "GET",
     lambda w: "/api/v1/people/counts?bbox=-3.3,51.4,-3.2,51.5", lambda w: None,
     (422, 422, 422, 422, 422, 422)),
    ("people in a chosen radius: nobody", "GET",
     lambda w: f"/api/v1/people/near?near={w.patches.west_point[0]},{w.patches.west_point[1]}"
     "&radius_m=500",
     lambda w: None,
     (422, 422, 422, 422, 422, 422)),
    ("add deficit", "POST", lambda w: "/api/v1/deficits",
     lambda w: {"theme": "food", "title_en": "No food bank", "severity": 3,
                "location": _west(w)},
     (401, 403, 201, 201, 201, 201)),
    ("suggest an asset", "POST", lambda w: "/api/v1/suggestions",
     lambda w: _suggestion(_west(w)),
     (201, 201, 201, 201, 201, 201)),
    ("report an asset", "POST", lambda w: f"/api/v1/assets/{w.published}/reports",
     lambda w: {"problem": "closed", "details": "Shut since May"},
     (201, 201, 201, 201, 201, 201)),
    ("report a person", "POST", lambda w: f"/api/v1/assets/{w.person}/reports",
     lambda w: {"problem": "wrong"},
     (404, 404, 201, 404, 404, 201)),
    ("moderation queue", "GET", lambda w: "/api/v1/moderation", lambda w: None,
     (401, 403, 200, 200, 403, 200)),
    ("publish a suggestion", "POST", lambda w: f"/api/v1/moderation/suggestions/{w.suggestion}",
     lambda w: {"decision": "publish"},
     (401, 403, 200, 404, 403, 200)),
    ("audit trail", "GET", lambda w: "/api/v1/audit", lambda w: None,
     (401, 403, 200, 200, 403, 200)),
    ("ask for an introduction", "POST", lambda w: "/api/v1/introductions",
     lambda w: {"theme": "food", "near": list(w.patches.west_point)},
     (401, 201, 201, 201, 201, 201)),
    ("list introductions", "GET", lambda w: "/api/v1/introductions", lambda w: None,
     (401, 200, 200, 200, 200, 200)),
    ("count uses", "GET", lambda w: f"/api/v1/assets/{w.published}/uses", lambda w: None,
     (200, 200, 200, 200, 200, 200)),
    ("say I use an asset", "PUT", lambda w: f"/api/v1/assets/{w.published}/use",
     lambda w: None,
     (401, 200, 200, 200, 200, 200)),
    ("say I use a person", "PUT", lambda w: f"/api/v1/assets/{w.person}/use", lambda w: None,
     (401, 404, 404, 404, 404, 404)),
    ("offer help", "POST", lambda w: "/api/v1/offers", lambda w: _offer(w.patches),
     (401, 201, 201, 201, 201, 201)),
    ("list offers", "GET", lambda w: "/api/v1/offers", lambda w: None,
     (401, 200, 200, 200, 200, 200)),
    ("confirm an offer", "POST", lambda w: f"/api/v1/offers/{w.offer}/confirm", lambda w: None,
     (401, 403, 200, 404, 403, 200)),
    ("decline an offer", "POST", lambda w: f"/api/v1/offers/{w.offer}/decline",
     lambda w: {"reason": "No drivers needed"},
     (401, 403, 200, 404, 403, 200)),
    ("withdraw the resident's offer", "DELETE", lambda w: f"/api/v1/offers/{w.offer}",
     lambda w: None,
     (401, 204, 404, 404, 404, 404)),
    ("report a gap", "POST", lambda w: "/api/v1/gaps",
     lambda w: {"theme": "food", "text": "No bus after 7pm", "near": list(w.patches.west_point)},
     (401, 201, 201, 201, 201, 201)),
    ("list gaps", "GET", lambda w: "/api/v1/gaps", lambda w: None,
     (200, 200, 200, 200, 200, 200)),
    ("read a pending gap", "GET", lambda w: f"/api/v1/gaps/{w.gap}", lambda w: None,
     (404, 200, 200, 404, 200, 200)),
    ("me too on a pending gap", "PUT", lambda w: f"/api/v1/gaps/{w.gap}/support",
     lambda w: None,
     (401, 200, 200, 404, 200, 200)),
    ("publish a gap", "POST", lambda w: f"/api/v1/gaps/{w.gap}/publish",
     lambda w: {"severity": 3},
     (401, 403, 200, 404, 200, 200)),
    ("decline a gap", "POST", lambda w: f"/api/v1/gaps/{w.gap}/decline",
     lambda w: {"reason": "Reported already"},
     (401, 403, 200, 404, 200, 200)),
    ("my contributions", "GET", lambda w: "/api/v1/contributions", lambda w: None,
     (401, 200, 200, 200, 200, 200)),
    ("who am I", "GET", lambda w: "/api/v1/auth/me", lambda w: None,
     (200, 200, 200, 200, 200, 200)),
    ("sign out", "DELETE", lambda w: "/api/v1/auth/session", lambda w: None,
     (401, 204, 204, 204, 204, 204)),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_role_matrix(world: World, operation: Operation, role: str) -> None:
    _name, method, path, body, expected = operation
    if method != "GET":
        # A write (publish, archive, rename...) would change what later cases see in the shared
        # world, so each writing case gets targets of its own, made as the world's were.
        world = replace(
            world,
            **_targets(world.client, world.patches),
            **_resident_targets(world.client, world.patches, world.headers["resident"]),
        )
    headers = {**world.headers[role], "If-Match": "*"}
    response = world.client.request(method, path(world), json=body(world), headers=headers)
    assert response.status_code == expected[ROLES.index(role)], response.text


def test_a_refusal_never_names_what_it_hides(world: World) -> None:
    hidden = world.client.get(f"/api/v1/assets/{world.person}")
    missing = world.client.get("/api/v1/assets/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(world.person), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")
    assert "ETag" not in hidden.headers


def test_an_unknown_token_is_401_not_anonymous(world: World) -> None:
    response = world.client.get("/api/v1/assets", headers={"Authorization": "Bearer am_nope"})
    assert response.status_code == 401
