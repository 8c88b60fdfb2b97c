"""Users: who signs in, with which role, for which patch; their sessions and API tokens."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.vocabularies import DIGESTS, LANGUAGES, ROLES


class User(Base):
    """A person who signs in. Connectors may be scoped to a patch of areas (`all_areas` off)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", "role"),
        CheckConstraint(f"language IN ({', '.join(repr(v) for v in LANGUAGES)})", "language"),
        CheckConstraint(f"digest IN ({', '.join(repr(v) for v in DIGESTS)})", "digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    all_areas: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A resident who signed up does nothing until their email is confirmed by the link sent
    # to it; accounts an admin makes are confirmed when made.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language their email comes in ('en' or 'cy').
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    # Connectors and planners: how often the digest of new work in their patch is sent, and
    # up to when the last one reported (the next covers what arrived after).
    digest: Mapped[str] = mapped_column(String(10), default="daily", server_default="daily")
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patch: Mapped[list["UserArea"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )


class UserArea(Base):
    """One area of a connector's patch (any level: an LSOA, a ward, a local authority...)."""

    __tablename__ = "user_areas"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True
    )

    user: Mapped[User] = relationship(back_populates="patch")


class Credential(Base):
    """A bearer API token or a page session; only a keyed hash of the secret is stored."""

    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint("kind IN ('token', 'session')", "kind"),
        Index("ix_credentials_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
