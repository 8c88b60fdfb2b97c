"""create_app(settings): wiring only."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from app.api import account as account_api
from app.api import (
    analysis,
    areas,
    assets,
    audit,
    auth,
    deficits,
    gaps,
    indicators,
    introductions,
    map_layers,
    meta,
    moderation,
    ogc,
    openreferral,
    people,
    postcodes,
    suggestions,
    themes,
    tiles,
)
from app.api import contributions as contributions_api
from app.api import offers as offer_api
from app.api import uses as use_api
from app.db import OutageLog, make_engine, make_session_factory
from app.errors import add_exception_handlers
from app.http.access_log import AccessLog
from app.http.body_limit import BodySizeLimit
from app.http.deps import refuse_nul_characters
from app.http.proxies import trust_proxies
from app.http.rate_limits import RateLimits, limit_resident_writes
from app.http.response_cache import ResponseCache
from app.http.security import (
    add_security_middleware,
    check_production_settings,
    refuse_cross_site,
)
from app.http.shedding import LoadShedding
from app.services.assets.map_layers import PointCache
from app.services.tiles import TileCache
from app.settings import Settings, get_settings
from app.web import account as account_pages
from app.web import (
    admin_users,
    audit_trail,
    connector,
    connector_checks,
    connector_gaps,
    connector_offers,
    embed,
    files,
    introduction,
    missing,
    my_contributions,
    pages,
    password_reset,
    planner,
    report,
    resident,
    sign_up,
    suggest,
)
from app.web import deficits as deficit_pages
from app.web import errors as web_errors
from app.web import offers as offer_pages
from app.web import uses as use_pages
from app.worker import background_jobs


def create_app(settings: Settings | None = None) -> FastAPI:
    """The assetmap ASGI app for these settings (default: from the environment)."""
    settings = settings or get_settings()
    check_production_settings(settings)
    engine = make_engine(settings, serving=True)  # connects lazily, on the first request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs = background_jobs(app.state.session_factory, settings)
        for job in jobs:
            job.start()
        # Everything made at start-up (modules, routes, templates, schemas) lives as long as the
        # process: out of the collector's view, a full collection no longer walks it, which
        # took 70-130 ms pauses in one request of eight (issue 17's measurements). Not in a
        # process that makes many apps (the tests): what is frozen is never collected.
        if settings.gc_freeze:
            gc.collect()
            gc.freeze()
        yield
        for job in jobs:
            await job.stop()
        engine.dispose()

    app = FastAPI(
        title="assetmap",
        version="0.1.0",
        description="Community assets beside service deficits: an asset-based map for Wales.",
        lifespan=lifespan,
        dependencies=[
            Depends(refuse_nul_characters),
            Depends(refuse_cross_site),
            Depends(limit_resident_writes),
        ],
        # No OpenAPI document means no /docs or /redoc either.
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.outages = OutageLog(engine)
    app.state.session_factory = make_session_factory(engine)
    app.state.rate_limits = RateLimits(settings)
    app.state.map_points = PointCache()
    app.state.tiles = TileCache()
    add_exception_handlers(app, page_errors=web_errors)
    routers = (
        assets,
        themes,
        areas,
        indicators,
        deficits,
        postcodes,
        analysis,
        ogc,
        meta,
        auth,
        people,
        introductions,
        audit,
        suggestions,
        moderation,
        map_layers,
        tiles,
        files,
        pages,
        resident,
        suggest,
        report,
        introduction,
        planner,
        connector,
        connector_checks,
        audit_trail,
        admin_users,
        deficit_pages,
        embed,
        gaps,
        missing,
        connector_gaps,
        use_api,
        offer_api,
        use_pages,
        offer_pages,
        connector_offers,
        account_api,
        account_pages,
        sign_up,
        password_reset,
        contributions_api,
        my_contributions,
    )
    for module in routers:
        app.include_router(module.router)
    for router in openreferral.routers:  # /openreferral and its Welsh twin /cy/openreferral
        app.include_router(router)
    # Innermost: answers are kept as the routes made them; hits are served inside the shedding.
    app.add_middleware(
        ResponseCache,
        max_bytes=int(settings.response_cache_mb * 1024 * 1024),
        max_age=settings.response_cache_seconds,
    )
    # Inside the body limit: a body still arriving holds no place among the concurrent ones.
    app.add_middleware(
        LoadShedding,
        max_concurrent=settings.max_concurrent_requests,
        queue_timeout=settings.request_queue_timeout,
    )
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout
    )
    add_security_middleware(app, settings)  # after the others: outermost but for the log
    app.add_middleware(AccessLog)
    trust_proxies(app, settings)  # outermost: every layer sees the real client
    return app
