"""In a real browser, in both languages: a connector marks assets as checked today (from the
checks list and from the asset's form) and reads the audit trail; an admin adds a connector
with a patch. axe-core finds nothing on any page along the way."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Asset, User
from app.services import users
from tests.conftest import ADMIN, Patches, asset_body
from tests.web.browser import Visit, axe_violations

PASSWORD = "a long enough password"
XSS = "<img src=x onerror=window.__xss=1> hall"


def _sign_in(visit: Visit, prefix: str, email: str, next_path: str) -> Page:
    page = visit.go(f"{prefix}/sign-in?next={prefix}{next_path}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button").click()
    page.wait_for_url(f"**{prefix}{next_path}")
    return page


def _clean(page: Page) -> None:
    assert axe_violations(page) == [], page.url
    assert page.evaluate("window.__xss") is None


def _add(client: TestClient, patches: Patches, name: str) -> int:
    point = {"type": "Point", "coordinates": list(patches.west_point)}
    response = client.post("/api/v1/assets", json=asset_body(name_en=name, name_cy=name,
                           location=point), headers=ADMIN)  # fmt: skip
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize(
    ("prefix", "mark", "checked", "audit"),
    [("", "Mark as checked today", "The asset was marked as checked today.", "Audit trail"),
     ("/cy", "Nodi ei fod wedi'i wirio heddiw", "Mae'r ased wedi'i nodi fel un a wiriwyd heddiw.",
      "Llwybr archwilio")],
)  # fmt: skip
def test_a_connector_marks_assets_as_checked_today(
    visit: Visit,
    client: TestClient,
    session: Session,
    patches: Patches,
    prefix: str,
    mark: str,
    checked: str,
    audit: str,
) -> None:
    users.create_user(session, email="con@example.org", role="connector", actor="test",
                      password=PASSWORD, patch=[patches.west])  # fmt: skip
    session.commit()
    first, second = _add(client, patches, XSS), _add(client, patches, "Canton chapel")
    session.execute(update(Asset).where(Asset.id == first)
                    .values(last_verified_at=datetime.now(UTC) - timedelta(days=500)))  # fmt: skip
    session.commit()

    page = _sign_in(visit, prefix, "con@example.org", "/connector/checks")
    _clean(page)
    items = page.locator(".work-item")
    expect(items).to_have_count(2)
    expect(items.first.locator("h3")).to_have_text("Canton chapel")  # never checked: first
    items.filter(has_text=XSS).get_by_role("button", name=mark).click()
    page.wait_for_url(f"**{prefix}/connector/checks?done=checked")
    expect(page.locator(".notice[role=status]")).to_have_text(checked)
    expect(page.locator(".work-item")).to_have_count(1)
    _clean(page)

    page.get_by_role("link", name="Canton chapel").click()
    page.wait_for_url(f"**{prefix}/connector/assets/{second}/edit")
    _clean(page)
    page.get_by_role("button", name=mark).click()
    page.wait_for_url(f"**{prefix}/connector/assets/{second}/edit?done=checked")
    expect(page.locator(".notice[role=status]")).to_have_text(checked)
    _clean(page)

    page.get_by_role("navigation", name="Your patch" if not prefix else "Eich ardal").get_by_role(
        "link", name=audit
    ).click()
    page.wait_for_url(f"**{prefix}/connector/audit")
    expect(page.locator("tr[data-event]")).to_have_count(4)  # two added, two checked
    _clean(page)
    page.locator("#action").fill("check")
    page.locator("#since").fill(datetime.now(UTC).date().isoformat())
    page.locator(".audit-filters button").click()
    page.wait_for_url("**action=check**")
    expect(page.locator("tr[data-event]")).to_have_count(2)
    _clean(page)
    assert visit.errors == [] and visit.elsewhere == []


@pytest.mark.parametrize(
    ("prefix", "add", "connector", "save", "added"),
    [("", "Add a user", "Community connector", "Add the user", "The user was added."),
     ("/cy", "Ychwanegu defnyddiwr", "Cysylltydd cymunedol", "Ychwanegu'r defnyddiwr",
      "Mae'r defnyddiwr wedi'i ychwanegu.")],
)  # fmt: skip
def test_an_admin_adds_a_connector_with_a_patch(
    visit: Visit,
    session: Session,
    patches: Patches,
    prefix: str,
    add: str,
    connector: str,
    save: str,
    added: str,
) -> None:
    users.create_user(session, email="boss@example.org", role="admin", actor="test",
                      password=PASSWORD)  # fmt: skip
    session.commit()

    page = _sign_in(visit, prefix, "boss@example.org", "/admin/users")
    _clean(page)
    page.get_by_role("main").get_by_role("link", name=add).click()
    page.wait_for_url(f"**{prefix}/admin/users/new")
    _clean(page)
    page.locator("#email").fill("newcon@example.org")
    page.locator("#display_name").fill(XSS)
    page.get_by_role("radio", name=connector).check()
    page.locator("#patch").fill(f"{patches.west}, W09999999")
    page.locator("#password").fill("their first password")
    page.get_by_role("button", name=save).click()
    expect(page.locator("#patch-error")).to_contain_text("W09999999")
    _clean(page)  # the form with its error

    page.locator("#patch").fill(patches.west)
    page.locator("#password").fill("their first password")
    page.get_by_role("button", name=save).click()
    page.wait_for_url(f"**{prefix}/admin/users?done=created")
    expect(page.locator(".notice[role=status]")).to_have_text(added)
    row = page.locator("tr", has_text="newcon@example.org")
    expect(row).to_contain_text(connector)
    expect(row).to_contain_text(patches.west)
    expect(row).to_contain_text(XSS)
    _clean(page)
    made = session.scalars(select(User).where(User.email == "newcon@example.org")).one()
    assert made.role == "connector" and users.viewer_of(made).patch is not None

    row.get_by_role("link").click()
    page.wait_for_url(f"**{prefix}/admin/users/{made.id}")
    _clean(page)
    page.locator(f"a[href='{prefix}/admin/users/{made.id}/revoke']").click()
    page.wait_for_url(f"**{prefix}/admin/users/{made.id}/revoke")
    _clean(page)
    assert visit.errors == [] and visit.elsewhere == []
