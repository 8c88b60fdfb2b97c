"""Connectors' digests: counts of what arrived in their patch since the last one, immediately or
daily, in their language, never a person's name or address; queued through the outbox, so a
down SMTP server loses none."""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.models import OutboxMessage, User
from app.models.base import utcnow
from app.services.mail.digests import send_digests
from app.services.mail.outbox import deliver_due
from app.services.mail.senders import SmtpSender
from app.settings import Settings
from tests.cli.conftest import Invoke, assetmap  # noqa: F401 - the fixture, for the CLI test
from tests.conftest import Patches
from tests.mail.test_outbox import SmtpServer, free_port, mail_settings

WEST = [-3.25, 51.45]
EAST = [-3.15, 51.45]


@pytest.fixture
def factory(db: Engine) -> Callable[[], Session]:
    return sessionmaker(db, expire_on_commit=False)


def user(session: Session, email: str) -> User:
    session.expire_all()
    found = session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def mails(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def set_digest(session: Session, email: str, digest: str, language: str = "en") -> None:
    found = user(session, email)
    found.digest, found.language = digest, language
    session.commit()


@pytest.fixture
def west_connector(session: Session, patches: Patches, make_user: Any) -> str:
    """A connector of the west patch, who wants each digest at once; their email address."""
    make_user("connector", patch=[patches.west])
    set_digest(session, "connector1@example.org", "immediate")
    return "connector1@example.org"


def work_arrives(client: TestClient, make_asset: Any, make_user: Any) -> None:
    """One of each kind of work in the west patch, and a suggestion in the east one."""
    resident = make_user("resident")
    west_asset = make_asset(location={"type": "Point", "coordinates": WEST})
    for point, name in ((WEST, "West club"), (EAST, "East club")):
        body = {
            "kind": "group",
            "name_en": name,
            "themes": ["food"],
            "location": {"type": "Point", "coordinates": point},
        }
        assert client.post("/api/v1/suggestions", json=body).status_code == 201
    report = {"problem": "closed", "details": "Shut since May"}
    assert client.post(f"/api/v1/assets/{west_asset}/reports", json=report).status_code == 201
    notice = client.get("/api/v1/offers/notice").json()["version"]
    offer = {
        "kind": "volunteer",
        "theme": "food",
        "title": "Driving to the lunch club",
        "near": WEST,
        "notice_version": f"{notice}-en",
        "consent": True,
    }
    assert client.post("/api/v1/offers", json=offer, headers=resident).status_code == 201
    gap = {"theme": "food", "text": "No food bank", "near": WEST}
    assert client.post("/api/v1/gaps", json=gap, headers=resident).status_code == 201
    intro = {"theme": "food", "near": WEST}
    assert client.post("/api/v1/introductions", json=intro, headers=resident).status_code == 201


def test_a_digest_counts_what_arrived_in_the_patch_and_names_nobody(
    client: TestClient,
    session: Session,
    settings: Settings,
    factory: Callable[[], Session],
    west_connector: str,
    make_asset: Any,
    make_user: Any,
) -> None:
    work_arrives(client, make_asset, make_user)

    done = send_digests(factory, settings)

    assert done.queued == 1
    [mail] = mails(session)
    assert mail.to_address == west_connector
    assert mail.subject == "Your patch: 5 new items to look at"
    body = mail.body
    assert "- 1 new suggestion of an asset\n  http://127.0.0.1:8000/connector/moderation" in body
    assert "- 1 new report of an asset closed or wrong" in body
    assert "- 1 new offer of help to confirm\n  http://127.0.0.1:8000/connector/offers" in body
    assert "- 1 new gap reported as missing\n  http://127.0.0.1:8000/connector/gaps" in body
    assert "- 1 new request for an introduction" in body
    assert "http://127.0.0.1:8000/account" in body
    for private in ("resident", "@example.org", "Driving", "No food bank", "Shut since May"):
        assert private not in body
    assert user(session, west_connector).digest_sent_at is not None


def test_nothing_new_sends_nothing_and_a_second_round_sends_only_what_is_new(
    client: TestClient,
    session: Session,
    settings: Settings,
    factory: Callable[[], Session],
    west_connector: str,
    make_asset: Any,
    make_user: Any,
) -> None:
    assert send_digests(factory, settings).queued == 0
    assert user(session, west_connector).digest_sent_at is None
    work_arrives(client, make_asset, make_user)
    assert send_digests(factory, settings).queued == 1
    assert send_digests(factory, settings).queued == 0

    body = {
        "kind": "group",
        "name_en": "Another club",
        "themes": ["food"],
        "location": {"type": "Point", "coordinates": WEST},
    }
    client.post("/api/v1/suggestions", json=body)
    assert send_digests(factory, settings).queued == 1
    assert mails(session)[-1].subject == "Your patch: 1 new item to look at"


def test_a_daily_digest_comes_at_most_once_a_day(
    client: TestClient,
    session: Session,
    settings: Settings,
    factory: Callable[[], Session],
    west_connector: str,
    make_asset: Any,
    make_user: Any,
) -> None:
    set_digest(session, west_connector, "daily")
    work_arrives(client, make_asset, make_user)
    now = utcnow()
    assert send_digests(factory, settings, now=now).queued == 1
    client.post(
        "/api/v1/suggestions",
        json={
            "kind": "group",
            "name_en": "Later club",
            "themes": ["food"],
            "location": {"type": "Point", "coordinates": WEST},
        },
    )

    assert send_digests(factory, settings, now=now + timedelta(hours=23)).queued == 0
    assert send_digests(factory, settings, now=now + timedelta(hours=25)).queued == 1


def test_no_digest_when_it_is_off_and_a_welsh_one_in_welsh(
    client: TestClient,
    session: Session,
    settings: Settings,
    factory: Callable[[], Session],
    patches: Patches,
    make_asset: Any,
    make_user: Any,
) -> None:
    make_user("connector", patch=[patches.west])
    make_user("connector", patch=[patches.west])
    set_digest(session, "connector1@example.org", "off")
    set_digest(session, "connector2@example.org", "immediate", language="cy")
    work_arrives(client, make_asset, make_user)

    send_digests(factory, settings)

    [mail] = mails(session)
    assert mail.to_address == "connector2@example.org"
    assert mail.subject == "Eich ardal: 5 eitem newydd i edrych arnynt"
    assert "http://127.0.0.1:8000/cy/connector/offers" in mail.body
    assert "1 cynnig newydd o help i'w gadarnhau" in mail.body


def test_a_connector_of_another_patch_hears_only_of_theirs_and_a_planner_of_gaps(
    client: TestClient,
    session: Session,
    settings: Settings,
    factory: Callable[[], Session],
    patches: Patches,
    make_asset: Any,
    make_user: Any,
) -> None:
    make_user("connector", patch=[patches.east])
    make_user("planner")
    set_digest(session, "connector1@example.org", "immediate")
    set_digest(session, "planner2@example.org", "immediate")
    work_arrives(client, make_asset, make_user)

    send_digests(factory, settings)

    by_address = {m.to_address: m for m in mails(session)}
    assert by_address["connector1@example.org"].subject == "Your patch: 1 new item to look at"
    assert "1 new suggestion" in by_address["connector1@example.org"].body
    planner = by_address["planner2@example.org"]
    assert planner.subject == "Your patch: 1 new item to look at"
    assert "1 new gap reported as missing" in planner.body


def test_a_digest_is_delivered_once_the_smtp_server_is_back(
    client: TestClient,
    session: Session,
    settings: Settings,
    factory: Callable[[], Session],
    west_connector: str,
    make_asset: Any,
    make_user: Any,
) -> None:
    port = free_port()  # nothing listens here yet
    config = mail_settings(settings, port, smtp_timeout_seconds=2)
    work_arrives(client, make_asset, make_user)
    assert send_digests(factory, config).queued == 1
    start = utcnow()

    down = deliver_due(factory, SmtpSender(config), config, now=start)
    assert (down.sent, down.failed) == (0, 1)
    with SmtpServer(port) as server:
        back = deliver_due(factory, SmtpSender(config), config, now=start + timedelta(minutes=2))
        assert back.sent == 1
        [(recipients, message)] = server.inbox.received
    assert recipients == [west_connector]
    assert message["Subject"] == "Your patch: 5 new items to look at"
    assert "/connector/moderation" in message.get_content()
    assert mails(session) == []


def test_the_command_queues_the_digests_that_are_due(
    client: TestClient,
    session: Session,
    west_connector: str,
    make_asset: Any,
    make_user: Any,
    assetmap: Invoke,  # noqa: F811
) -> None:
    work_arrives(client, make_asset, make_user)

    result = assetmap("mail", "digests")

    assert result.exit_code == 0, result.output
    assert "digests queued: 1" in result.output
    assert [m.to_address for m in mails(session)] == [west_connector]


def test_the_apps_own_worker_queues_and_sends_digests(
    client: TestClient,
    session: Session,
    settings: Settings,
    west_connector: str,
    make_asset: Any,
    make_user: Any,
) -> None:
    from app.main import create_app

    work_arrives(client, make_asset, make_user)
    with SmtpServer(free_port()) as server:
        config = mail_settings(
            settings, server.port, mail_every_seconds=0.2, digest_every_seconds=0.2
        )
        with TestClient(create_app(config)):
            deadline = time.monotonic() + 10
            while not server.inbox.received and time.monotonic() < deadline:
                time.sleep(0.05)
        [(recipients, message)] = server.inbox.received
    assert recipients == [west_connector]
    assert message["Subject"] == "Your patch: 5 new items to look at"
