"""The version of the data: what per-process caches of derived answers are keyed on."""

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class DataChange(Base):
    """Weights whose sum moves whenever a tracked table is written (database triggers:
    migrations/versions/0011_data_changes.py; app/services/changes.py reads and compacts)."""

    __tablename__ = "data_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    # The writing transaction (PostgreSQL; one row each until compacted); NULL for the base row.
    tx: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    weight: Mapped[int] = mapped_column(BigInteger)
