"""Service settings, read from the environment with the prefix ASSETMAP_."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_DIR / 'data' / 'assetmap.sqlite'}"
# Good enough on a laptop; production refuses it (app.http.security.check_production_settings).
DEV_SECRET_KEY = "dev-insecure-change-me"


class Settings(BaseSettings):
    """Everything the service can be configured with; see the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="ASSETMAP_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path (SpatiaLite) or postgresql+psycopg://...",
    )
    db_pool_size: int = Field(
        5,
        ge=1,
        le=100,
        description="Database connections each app process keeps open (PostGIS budget: "
        "workers x (pool size + max overflow) <= max_connections).",
    )
    db_max_overflow: int = Field(
        5, ge=0, le=100, description="Extra connections a process may open beyond the pool."
    )
    db_pool_timeout: float = Field(
        5,
        gt=0,
        le=300,
        description="Seconds a request waits for a free connection before answering 503.",
    )
    db_connect_timeout: int = Field(
        5,
        ge=2,
        le=300,
        description="Seconds to wait for PostgreSQL to accept a connection (libpq "
        "connect_timeout, at least 2).",
    )
    db_statement_timeout: float = Field(
        15,
        ge=0,
        le=86_400,
        description="Longest a request's SQL statement may run on PostgreSQL, in seconds "
        "(0: no limit); commands (imports, migrations, backups) have none.",
    )
    db_busy_timeout: float = Field(
        30,
        ge=0,
        le=300,
        description="Seconds a SpatiaLite statement waits for another writer's lock (an "
        "import's final transaction holds it for about 6 s per 50,000 new assets).",
    )
    erasure_ledger: Path | None = Field(
        None,
        description="Append-only file of erasure tombstones (asset id, time, actor) that a "
        "restore does not reach; default: beside a SpatiaLite file, "
        "data/erasures-<database>.jsonl for PostGIS.",
    )
    admin_token: SecretStr | None = Field(
        None, description="Bearer token that may write (until user accounts exist)."
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted.")
    max_bbox_degrees: float = Field(
        10.0, gt=0, le=360, description="Largest bbox width or height accepted, in degrees."
    )
    max_radius_m: float = Field(50_000, gt=0, description="Largest near-me radius, in metres.")
    base_url: str | None = Field(
        None,
        description="Public URL prefix for links (e.g. https://assetmap.example); "
        "defaults to the request's own URL.",
    )
    env: Literal["development", "production", "test"] = Field(
        "development",
        description="production refuses weak secrets and turns the API docs off by default.",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET_KEY),
        description="HMAC key for token hashes; production needs a random one of 32+ characters.",
    )
    docs: bool | None = Field(
        None,
        description="Serve /docs, /redoc and /openapi.json; unset means on unless env=production.",
    )
    # NoDecode: pydantic-settings would otherwise insist on JSON; a comma-separated list is
    # what people type into an env file.
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins (scheme://host[:port]) allowed to call the API; empty: none.",
    )

    consent_sweep_seconds: float = Field(
        3600,
        ge=0,
        description="How often each app process unpublishes people whose consent has lapsed "
        "(0: never; then run `assetmap people expire-consents` from cron).",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate limits count (limits library URI): memory:// for one process, "
        "redis://host:6379 when several instances share the limits.",
    )
    sign_in_limit: str = Field(
        "5/15minutes", description="Failed sign-ins allowed per email and per client address."
    )
    anonymous_write_limit: str = Field(
        "10/hour",
        description="Suggestions and reports allowed per client address when not signed in.",
    )
    # Read by app.http.security too (the tile host is allowed in the pages' img-src).
    basemap_tile_url: str | None = Field(
        None,
        description="Leaflet tile URL template for the maps' basemap (e.g. "
        "https://tiles.example.org/{z}/{x}/{y}.png); unset or blank: no basemap.",
    )
    basemap_attribution: str | None = Field(
        None, description="Attribution shown on the map for the basemap (HTML allowed)."
    )

    embed_ancestors: str = Field(
        "*",
        description="Sites that may show the embeddable map (/embed) in a frame: a CSP "
        "frame-ancestors source list (e.g. https://council.example 'self'); * (default): "
        "any site, as the map holds only public data. Every other page may not be framed.",
    )

    @field_validator("embed_ancestors")
    @classmethod
    def _source_list(cls, value: str) -> str:
        sources = value.split()
        if not sources or any(c in value for c in ';,"\r\n'):
            raise ValueError("a space-separated list of CSP sources, like * or https://a.example")
        return " ".join(sources)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite (SpatiaLite) and postgresql (PostGIS) URLs are supported")
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
            url.port  # noqa: B018 - a port that is not a number fails here
        except (ArgumentError, ValueError):
            raise ValueError(
                "not a database URL: use sqlite:///path/to/file.sqlite or "
                "postgresql+psycopg://user:password@host:5432/database"
            ) from None
        if url.get_backend_name() == "sqlite" and not url.database:
            raise ValueError("a SpatiaLite URL needs a file: sqlite:///path/to/file.sqlite")
        if url.get_backend_name() == "postgresql" and not url.database:
            raise ValueError("a PostGIS URL needs a database name: postgresql+psycopg://.../name")
        return value

    @field_validator("basemap_tile_url", "basemap_attribution")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("basemap_tile_url")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://", "/")):
            raise ValueError("a tile URL is https://host/{z}/{x}/{y}.png or a /path on this server")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _bare_origins(cls, origins: list[str]) -> list[str]:
        cleaned = []
        for origin in origins:
            # Browsers send Origin without a trailing slash; CORS matching is exact.
            bare = origin.rstrip("/")
            scheme, _, host = bare.partition("://")
            if bare != "*" and (scheme not in ("http", "https") or not host or "/" in host):
                raise ValueError(f"{origin!r} is not an origin like https://maps.example.org")
            cleaned.append(bare)
        return cleaned

    @model_validator(mode="after")
    def _attributed_basemap(self) -> "Settings":
        if self.basemap_tile_url and not self.basemap_attribution:
            raise ValueError(
                "ASSETMAP_BASEMAP_ATTRIBUTION is needed with ASSETMAP_BASEMAP_TILE_URL "
                "(tile providers' terms ask for it)"
            )
        return self

    @property
    def docs_enabled(self) -> bool:
        """Whether /docs, /redoc and /openapi.json are served."""
        return self.docs if self.docs is not None else self.env != "production"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
