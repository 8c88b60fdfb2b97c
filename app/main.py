"""create_app(settings): wiring only."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from app.api import (
    analysis,
    areas,
    assets,
    deficits,
    indicators,
    meta,
    ogc,
    postcodes,
    themes,
)
from app.api.deps import refuse_nul_characters
from app.db import make_engine, make_session_factory
from app.errors import add_exception_handlers
from app.limits import BodySizeLimit
from app.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The assetmap ASGI app for these settings (default: from the environment)."""
    settings = settings or get_settings()
    engine = make_engine(settings)  # connects lazily, on the first request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="assetmap",
        version="0.1.0",
        description="Community assets beside service deficits: an asset-based map for Wales.",
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul_characters)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    add_exception_handlers(app)
    for module in (assets, themes, areas, indicators, deficits, postcodes, analysis, ogc, meta):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
