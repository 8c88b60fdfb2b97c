"""Service settings, read from the environment with the prefix ASSETMAP_."""

import html
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.paths import STATE_DIR

# The source checkout (tests and developer tools); installed code reads app.paths instead.
PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{STATE_DIR / 'assetmap.sqlite'}"
# Good enough on a laptop; production refuses it (app.http.security.check_production_settings).
DEV_SECRET_KEY = "dev-insecure-change-me"
# ASSETMAP_BASEMAP's two names; anything else is a tile URL template.
BASEMAP_OSM = "osm"
BASEMAP_NONE = "none"
# OpenStreetMap's standard tiles and the credit their tile usage policy asks for.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"
# Leaflet fills these in a tile URL ({s} subdomain, {r} "@2x" on high-density screens, {-y}
# the TMS row); any other {name} would reach the tile server as it is.
_TILE_PLACEHOLDERS = frozenset({"z", "x", "y", "-y", "s", "r"})
_TILE_HOST = re.compile(r"[A-Za-z0-9.{}-]+(:[0-9]{1,5})?")


def tile_template_problem(template: str) -> str | None:
    """Why a basemap tile URL template cannot be used (None when it can); never quotes the
    template, which may hold a provider's key."""
    parts = urlsplit(template)
    # A /path is on this server (e.g. tiles behind the same proxy); elsewhere means https.
    on_this_server = template.startswith("/") and not template.startswith("//")
    if not on_this_server and (parts.scheme != "https" or not parts.hostname):
        return "not an https:// tile URL"
    if any(c.isspace() or c in "\\\"'<>" for c in template):
        return "a tile URL holds no spaces, quotes, backslashes, < or >"
    if parts.netloc and not _TILE_HOST.fullmatch(parts.netloc):
        return "a tile URL's host is a name (and :port), with no user@"
    names = set(re.findall(r"{([^{}]*)}", template))
    missing = [f"{{{n}}}" for n in ("z", "x") if n not in names]
    if "y" not in names and "-y" not in names:
        missing.append("{y}")
    if missing:
        return f"the tile URL lacks {' '.join(missing)}"
    unknown = sorted(names - _TILE_PLACEHOLDERS)
    if unknown:
        return f"the tile URL has {{{unknown[0]}}}, which maps do not fill in"
    return None


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
    body_timeout: float = Field(
        30,
        gt=0,
        le=3600,
        description="Seconds a request body may take to arrive in full; a slower sender gets 408.",
    )
    max_concurrent_requests: int = Field(
        32,
        ge=0,
        le=10_000,
        description="Requests each app process serves at once; more wait up to "
        "ASSETMAP_REQUEST_QUEUE_TIMEOUT, then get 503 with Retry-After (0: no limit; /healthz "
        "is never refused).",
    )
    request_queue_timeout: float = Field(
        0.5,
        ge=0,
        le=60,
        description="Seconds a request waits for a place under ASSETMAP_MAX_CONCURRENT_REQUESTS "
        "before it is refused with 503.",
    )
    response_cache_mb: float = Field(
        64,
        ge=0,
        le=100_000,
        description="Megabytes of answers to anonymous GET requests each app process keeps while "
        "the data under them is unchanged (app/http/response_cache.py; 0: off).",
    )
    response_cache_seconds: float = Field(
        300,
        gt=0,
        le=86_400,
        description="Longest time a kept answer is served, even while the data is unchanged.",
    )
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
    gc_freeze: bool = Field(
        True,
        description="After start-up, take what the process made so far out of the cyclic "
        "garbage collector's view (gc.freeze): no long collection pauses in requests.",
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
        description="How often the app unpublishes people whose consent has lapsed (one "
        "replica per interval; 0: never; then run `assetmap people expire-consents` from cron).",
    )
    # Email (app/services/mail): sent by each app process's worker from the outbox table.
    smtp_host: str | None = Field(
        None,
        description="SMTP server for email (sign-up links, digests); unset: emails are written "
        "to the log instead (development).",
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls (port 587), tls (implicit TLS, port 465) or none (a relay on "
        "the same host or network only).",
    )
    smtp_user: str | None = Field(None, description="SMTP user name, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(
        10, gt=0, le=300, description="How long to wait for the SMTP server."
    )
    mail_from: str = Field(
        "assetmap <no-reply@localhost>",
        description="The From of every email, e.g. Asset map <no-reply@council.example>.",
    )
    mail_every_seconds: float = Field(
        10,
        ge=0,
        description="How often each app process sends the email that is due (0: never; then "
        "run `assetmap mail send` from cron).",
    )
    digest_every_seconds: float = Field(
        300,
        ge=0,
        description="How often each app process looks for connectors' digests that are due "
        "(0: never; then run `assetmap mail digests` from cron). Off too while "
        "ASSETMAP_MAIL_EVERY_SECONDS is 0: mail is left to cron then.",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate limits count (limits library URI): memory:// for one process, "
        "redis://host:6379 when several instances share the limits.",
    )
    sign_in_limit: str = Field(
        "5/15minutes",
        description="Failed sign-ins allowed per email from one client address, and per "
        "client address (429 beyond, for that address only).",
    )
    sign_in_backoff_max_seconds: int = Field(
        60,
        ge=1,
        le=3600,
        description="Longest wait between sign-ins to one account after repeated failures "
        "from anywhere (the wait doubles per failure beyond 5 an hour, up to this): the owner "
        "waits, never locked out.",
    )
    sign_in_failures_limit: str = Field(
        "300/minute",
        description="Failed sign-ins allowed across the whole service (every account and "
        "address; 429 beyond): a ceiling on password guessing and its cost.",
    )
    password_checks: int = Field(
        2,
        ge=1,
        le=64,
        description="Password checks (argon2, 64 MiB each) one app process runs at once; "
        "sign-ins beyond wait up to 5 s, then answer 429.",
    )
    workers: int = Field(
        1, ge=1, le=64, description="Processes `assetmap serve` runs (its --workers)."
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Addresses or networks of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (comma-separated, e.g. 10.0.0.0/8); the client is the "
        "last address a trusted proxy added. Others' headers are ignored; empty: trust none.",
    )
    anonymous_write_limit: str = Field(
        "10/hour",
        description="Suggestions and reports allowed per client address when not signed in.",
    )
    sign_up_limit: str = Field(
        "5/hour",
        description="Sign-ups allowed per client address and per email address (429 beyond).",
    )
    reset_limit: str = Field(
        "5/hour",
        description="Password reset emails asked for per client address and per email address.",
    )
    confirm_resend_limit: str = Field(
        "3/hour",
        description="Confirmation links sent again (signing in before confirming) per client "
        "address and per email address.",
    )
    # Read by app.http.security too (the tile host is allowed in the pages' img-src).
    basemap: str = Field(
        BASEMAP_OSM,
        description="The maps' background: osm (OpenStreetMap's standard tiles; each map view "
        "asks tile.openstreetmap.org for its tiles), none (no tiles: area outlines and names "
        "only, and no request leaves the server), or an XYZ tile URL template "
        "https://host/{z}/{x}/{y}.png (or a /path on this server) with "
        "ASSETMAP_BASEMAP_ATTRIBUTION.",
    )
    basemap_attribution: str | None = Field(
        None,
        description="Plain-text credit shown on the map for a tile URL template's tiles (e.g. "
        "© Cardiff Council); required with one. osm always shows OpenStreetMap's.",
    )
    basemap_attribution_url: str | None = Field(
        None,
        description="https:// page the credit links to (e.g. the tile provider's terms or "
        "copyright page); optional.",
    )
    # The tile URL's setting before osm and none; kept only to say so, since ignoring it would
    # silently swap a council's own tiles for OpenStreetMap's.
    basemap_tile_url: str | None = Field(
        None, description="Replaced by ASSETMAP_BASEMAP: an error when set."
    )

    embed_ancestors: str = Field(
        "*",
        description="Sites that may show the embeddable map (/embed) in a frame: a CSP "
        "frame-ancestors source list (e.g. https://council.example 'self'); * (default): "
        "any site, as the map holds only public data. Every other page may not be framed.",
    )
    # Observability (app/http/access_log.py, app/http/metrics.py).
    metrics: bool = Field(
        False,
        description="Serve Prometheus metrics at /metrics (requests by route and status, "
        "latency, database pool use, email outbox); each process counts its own.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="When set, /metrics answers only 'Authorization: Bearer <token>'; unset: "
        "anyone who can reach it (keep it off the public proxy).",
    )
    resident_write_limit: str = Field(
        "30/hour",
        description="Suggestions, reports, uses, offers, gaps and 'me too's allowed per signed-in "
        "resident account (429 beyond).",
    )

    @field_validator("embed_ancestors")
    @classmethod
    def _source_list(cls, value: str) -> str:
        sources = value.split()
        if not sources or any(c in value for c in ';,"\r\n'):
            raise ValueError("a space-separated list of CSP sources, like * or https://a.example")
        return " ".join(sources)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        import ipaddress

        entries = [part.strip() for part in value.split(",") if part.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an address or network (e.g. 127.0.0.1, 10.0.0.0/8); "
                    "* is refused: anyone could then choose their own address"
                ) from None
        return ",".join(entries)

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

    @field_validator("basemap")
    @classmethod
    def _basemap_choice(cls, value: str) -> str:
        text = value.strip()
        if not text or text.lower() in (BASEMAP_OSM, BASEMAP_NONE):
            return text.lower() or BASEMAP_NONE
        problem = tile_template_problem(text)
        if problem:
            raise ValueError(
                f"{problem}: use osm, none, or a tile URL template like "
                "https://tiles.example.org/{z}/{x}/{y}.png"
            )
        return text

    @field_validator("basemap_tile_url")
    @classmethod
    def _renamed(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError("renamed: set ASSETMAP_BASEMAP (osm, none or the tile URL) instead")

    @field_validator("basemap_attribution", "basemap_attribution_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("basemap_attribution")
    @classmethod
    def _plain_credit(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # "&copy;" is how people are used to typing it; the map shows text, never HTML.
        text = html.unescape(value)
        if "<" in text or ">" in text:
            raise ValueError(
                "plain text, not HTML (e.g. © Cardiff Council); put the link in "
                "ASSETMAP_BASEMAP_ATTRIBUTION_URL"
            )
        return text

    @field_validator("basemap_attribution_url")
    @classmethod
    def _credit_link(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme != "https" or not parts.netloc or any(c in value for c in ' "<>'):
                raise ValueError("an https:// address, e.g. https://tiles.example.org/terms")
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
        if self.basemap not in (BASEMAP_OSM, BASEMAP_NONE) and not self.basemap_attribution:
            raise ValueError(
                "ASSETMAP_BASEMAP_ATTRIBUTION is needed with a tile URL in ASSETMAP_BASEMAP "
                "(tile providers' terms ask for it)"
            )
        return self

    @property
    def basemap_tiles(self) -> str | None:
        """The tile URL template the maps load (None: no basemap)."""
        if self.basemap == BASEMAP_NONE:
            return None
        return OSM_TILES if self.basemap == BASEMAP_OSM else self.basemap

    @property
    def basemap_credit(self) -> tuple[str, str | None]:
        """The basemap's credit: its text and the page it links to (empty text: no basemap)."""
        if self.basemap == BASEMAP_NONE:
            return "", None
        if self.basemap == BASEMAP_OSM:
            return OSM_ATTRIBUTION, OSM_COPYRIGHT
        return self.basemap_attribution or "", self.basemap_attribution_url

    @property
    def docs_enabled(self) -> bool:
        """Whether /docs, /redoc and /openapi.json are served."""
        return self.docs if self.docs is not None else self.env != "production"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
