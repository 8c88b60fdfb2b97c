"""Service settings, read from the environment with the prefix ASSETMAP_."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_DIR / 'data' / 'assetmap.sqlite'}"


class Settings(BaseSettings):
    """Everything the service can be configured with; see the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="ASSETMAP_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path (SpatiaLite) or postgresql+psycopg://...",
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

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite (SpatiaLite) and postgresql (PostGIS) URLs are supported")
        return value


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
