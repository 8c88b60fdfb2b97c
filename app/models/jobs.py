"""Background jobs' last runs: how the app's replicas agree that one of them runs each job."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class JobRun(Base):
    """When a background job (the consent sweep, email delivery, digests) last started, and
    in which process: a replica runs a job only when it moves `ran_at` on itself (app/worker.py)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ran_by: Mapped[str | None] = mapped_column(String(200))
