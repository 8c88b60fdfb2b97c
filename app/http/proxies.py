"""The client's address behind reverse proxies: believed only from the proxies we trust.

uvicorn's ProxyHeadersMiddleware is applied by the app itself (not by uvicorn, whose own
FORWARDED_ALLOW_IPS is ignored: `assetmap serve` turns it off), so the rate limits see the same
client whether the app runs under `assetmap serve`, another ASGI server or a test client.
"""

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.settings import Settings


def trust_proxies(app: FastAPI, settings: Settings) -> None:
    """Take the client's address (and scheme) from X-Forwarded-For (-Proto) when, and only
    when, the peer is a trusted proxy (ASSETMAP_FORWARDED_ALLOW_IPS). The client is the last
    address in the chain that is not a trusted proxy, so what a visitor puts in the header
    themselves, in front of what the proxy appends, is never their address."""
    if settings.forwarded_allow_ips:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
