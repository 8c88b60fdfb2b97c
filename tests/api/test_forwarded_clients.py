"""Client addresses behind reverse proxies: believed only from trusted proxies, so a visitor
cannot buy fresh rate-limit budgets with X-Forwarded-For, and visitors behind one proxy do not
share one budget."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.backend("spatialite")

PROXY = ("127.0.0.1", 40000)
STRANGER = ("203.0.113.7", 40000)


@contextmanager
def _client(settings: Settings, peer: tuple[str, int], **changes: Any) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update=changes))
    with TestClient(app, client=peer) as client:
        yield client


def _fail(client: TestClient, n: int, forwarded_for: str) -> int:
    body = {"email": f"u{n}@example.org", "password": "not the password"}
    headers = {"X-Forwarded-For": forwarded_for}
    return client.post("/api/v1/auth/session", json=body, headers=headers).status_code


def test_a_rotating_forwarded_for_from_an_untrusted_peer_gives_no_new_budget(
    settings: Settings,
) -> None:
    with _client(settings, STRANGER) as client:
        statuses = [_fail(client, n, f"198.51.100.{n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(settings: Settings) -> None:
    with _client(settings, PROXY) as client:
        first = [_fail(client, n, "198.51.100.1") for n in range(6)]
        second = _fail(client, 9, "198.51.100.2")
    assert first == [401] * 5 + [429]
    assert second == 401


def test_what_a_visitor_writes_before_the_proxys_entry_is_not_their_address(
    settings: Settings,
) -> None:
    """The proxy appends the address it saw; the visitor's own text in front is ignored."""
    with _client(settings, PROXY) as client:
        statuses = [_fail(client, n, f"192.0.2.{n}, 198.51.100.1") for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_a_proxy_network_is_trusted_when_configured(settings: Settings) -> None:
    proxy = ("10.1.2.3", 40000)
    with _client(settings, proxy, forwarded_allow_ips="10.0.0.0/8") as client:
        statuses = [_fail(client, n, f"198.51.100.{n}") for n in range(7)]
    assert statuses == [401] * 7
    with _client(settings, proxy) as client:  # the default trusts 127.0.0.1 only
        statuses = [_fail(client, n, f"198.51.100.{n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]


@pytest.mark.parametrize("value", ["*", "proxy.example", "10.0.0.0/33"])
def test_anything_but_addresses_and_networks_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="forwarded_allow_ips"):
        Settings(forwarded_allow_ips=value)


def test_an_empty_list_trusts_no_proxy(settings: Settings) -> None:
    with _client(settings, PROXY, forwarded_allow_ips="") as client:
        statuses = [_fail(client, n, f"198.51.100.{n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]
