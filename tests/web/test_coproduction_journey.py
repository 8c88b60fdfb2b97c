"""Co-production end to end, in Debian's Chromium, with email through a real SMTP server on
127.0.0.1 (aiosmtpd): a resident signs up (confirming by the link the server received), says
"I use this", offers help and reports what is missing, and sees it all in "My contributions",
in English and in Welsh; a connector follows the digest email to confirm the offer and publish
the gap; a planner then sees the gap with its supports and the use counts on /planner."""

import email
import email.policy
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from app.models import User
from app.schemas.assets import AssetCreate
from app.services import users
from app.services.assets.records import create_asset
from app.services.demo import load_demo
from app.settings import Settings
from tests.api.conftest import LiveServer, serve
from tests.conftest import asset_body
from tests.web.browser import Visit, axe_violations, open_visit

PASSWORD = "a long enough password"
OFFERED = {"en": "Cooking on a budget", "cy": "Coginio'n rhad"}
GAP = {"en": "No community fridge", "cy": "Dim oergell gymunedol"}
WEST_POSTCODE = "ZZ1 1ZZ"


@dataclass
class Inbox:
    """What the SMTP server received: (recipient, subject, plain-text body)."""

    messages: list[tuple[str, str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, str(message["Subject"]), body))
        return "250 OK"

    def wait_for(self, to: str, containing: str = "", seconds: float = 20) -> tuple[str, str]:
        """The first message to `to` whose body holds `containing` (subject, body)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for rcpt, subject, body in self.messages:
                if rcpt == to and containing in body:
                    return subject, body
            time.sleep(0.1)
        pytest.fail(f"no email to {to} holding {containing!r}: {self.messages}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, keeping what it receives."""
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    try:
        yield box
    finally:
        controller.stop()


# The demo's first area, and a point inside it (tests/web/test_planner_pages.py).
SEA_VIEW = "X01000001"
SEA_VIEW_POINT = (-4.45191, 52.34125)


@dataclass(frozen=True)
class Place:
    asset_id: int
    connector: str = "connector@example.org"
    planner: str = "planner@example.org"


@pytest.fixture
def place(
    session: Session,
    add_postcode: Callable[[str, float, float], None],
) -> Place:
    """The fictional Aberllyn demo (areas, indicators, assets), a published group and a
    postcode in its first area, that area's connector (who wants each digest at once) and a
    planner."""
    assert load_demo(session).ok
    lon, lat = SEA_VIEW_POINT
    body = asset_body(name_en="Llanrhos lunch club", name_cy="Clwb cinio Llanrhos",
                      themes=["food"], status="published",
                      location={"type": "Point", "coordinates": [lon + 0.001, lat]})  # fmt: skip
    asset_id = create_asset(session, actor="test", data=AssetCreate.model_validate(body)).id
    add_postcode(WEST_POSTCODE, lon, lat)
    connector = users.create_user(
        session, email="connector@example.org", role="connector", actor="test",
        password=PASSWORD, patch=[SEA_VIEW],
    )  # fmt: skip
    connector.digest = "immediate"
    users.create_user(
        session, email="planner@example.org", role="planner", actor="test", password=PASSWORD
    )
    session.commit()
    return Place(asset_id)


@pytest.fixture
def live(settings: Settings, inbox: Inbox) -> Iterator[LiveServer]:
    """The app, sending email to the inbox and looking for due email and digests often."""
    mailing = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": inbox.port,  # type: ignore[attr-defined]
            "smtp_security": "none",
            "mail_every_seconds": 0.2,
            "digest_every_seconds": 0.2,
        }
    )
    with serve(mailing) as server:
        yield server


def _submit(page: Page, form: str = "main form") -> None:
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").last.click()


def _link(body: str, path: str, base: str) -> str:
    """The link to `path` in an email, on the live server (links are built from
    ASSETMAP_BASE_URL, which the tests leave at its default)."""
    found = re.search(rf"https?://[^/\s]+((?:/cy)?{re.escape(path)}\S*)", body)
    assert found, (path, body)
    return base + found.group(1)


def _sign_up(visit: Visit, inbox: Inbox, address: str, lang: str) -> str:
    """Sign up on the page of `lang` and confirm by the emailed link; the email's subject."""
    prefix = "/cy" if lang == "cy" else ""
    page = visit.go(f"{prefix}/sign-up")
    page.fill("#email", address)
    page.fill("#password", PASSWORD)
    page.fill("#display_name", "Alys" if lang == "en" else "Bethan")
    page.check("#language" if lang == "en" else "#language-cy")
    _submit(page)
    assert "/sign-up/sent" in page.url
    subject, body = inbox.wait_for(address, "/confirm")
    page.goto(_link(body, "/confirm", visit.base))
    assert "/account" in page.url, page.url
    return subject


def _resident_journey(visit: Visit, inbox: Inbox, place: Place, address: str, lang: str) -> Page:
    prefix = "/cy" if lang == "cy" else ""
    subject = _sign_up(visit, inbox, address, lang)
    if lang == "cy":
        assert "Cadarnhewch" in subject or "cyfeiriad" in subject.lower(), subject

    page = visit.go(f"{prefix}/assets/{place.asset_id}")
    with page.expect_navigation():
        page.locator(".asset-uses button[type=submit]").click()
    assert page.locator(".asset-uses button[value=no]").is_visible()
    assert axe_violations(page) == [], "asset page"

    with page.expect_navigation():
        page.locator(".asset-links a[href*='/offer']").click()
    assert page.locator("#theme").input_value() == "food"
    page.check("#kind-skill")
    page.fill("#title", OFFERED[lang])
    page.fill("#description", "Tuesday evenings")
    page.fill("#postcode", WEST_POSTCODE)
    page.check("#consent")
    assert axe_violations(page) == [], "offer form"
    _submit(page, "form.resident-form")
    assert "/my/offers" in page.url, page.url

    page = visit.go(f"{prefix}/missing")
    page.select_option("#theme", "food")
    page.fill("#text", GAP[lang])
    page.fill("#postcode", WEST_POSTCODE)
    assert axe_violations(page) == [], "missing form"
    _submit(page, "form.resident-form")

    page = visit.go(f"{prefix}/my/contributions")
    assert axe_violations(page) == [], "my contributions"
    return page


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_resident_a_connector_and_a_planner_co_produce(
    browser: Browser, live: LiveServer, inbox: Inbox, place: Place, session: Session, lang: str
) -> None:
    address = f"resident-{lang}@example.org"
    offered, gap = OFFERED[lang], GAP[lang]
    resident = open_visit(browser, live.url)
    try:
        page = _resident_journey(resident, inbox, place, address, lang)
        text = page.locator("main").inner_text()
        waiting = "Waiting for a community connector" if lang == "en" else "Yn aros"
        assert ("Llanrhos lunch club" if lang == "en" else "Clwb cinio Llanrhos") in text
        assert text.count(waiting) >= 2, text  # the offer and the gap
        if lang == "cy":
            assert "Fy nghyfraniadau" in text
        user = session.query(User).filter_by(email=address).one()
        assert user.language == lang and user.email_confirmed_at is not None

        # The connector: from the digest emails (sent as work arrives) to the queues.
        _subject, offers = inbox.wait_for(place.connector, "/connector/offers")
        _subject, gaps = inbox.wait_for(place.connector, "/connector/gaps")
        for digest in (offers, gaps):
            assert address not in digest and "Cooking" not in digest  # counts and links only
        connector = open_visit(browser, live.url)
        try:
            page = connector.go("/sign-in")
            page.fill("#email", place.connector)
            page.fill("#password", PASSWORD)
            _submit(page)
            page.goto(_link(offers, "/connector/offers", live.url))
            item = page.locator("li.work-item", has_text=offered)
            with page.expect_navigation():
                item.locator("form:has(input[value=confirm]) button[type=submit]").click()
            page.goto(_link(gaps, "/connector/gaps", live.url))
            # The demo's own pending gap waits in this patch too: publish the resident's.
            item = page.locator("li.work-item", has_text=gap)
            with page.expect_navigation():
                item.locator("form[action*='/publish'] button[type=submit]").click()
            assert axe_violations(page) == [], "connector gaps"
        finally:
            connector.context.close()

        page = resident.go(("/cy" if lang == "cy" else "") + "/my/contributions")
        text = page.locator("main").inner_text()
        confirmed = "Confirmed: you are listed" if lang == "en" else "Wedi'i gadarnhau"
        on_map = "On the map" if lang == "en" else "Ar y map"
        assert confirmed in text and on_map in text, text
    finally:
        resident.context.close()

    # The planner sees the gap with its supports and the use counts.
    planner = open_visit(browser, live.url)
    try:
        page = planner.go("/sign-in")
        page.fill("#email", place.planner)
        page.fill("#password", PASSWORD)
        _submit(page)
        page = planner.go("/planner?theme=food")
        text = page.locator("main").inner_text()
        assert gap in text, text
        assert "fewer than 5" in text.lower()
    finally:
        planner.context.close()
