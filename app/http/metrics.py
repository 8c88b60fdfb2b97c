"""Prometheus metrics (ASSETMAP_METRICS): requests by route template and status, latency,
database pool use and the email outbox, at /metrics.

Each app process keeps its own counts (no shared files): run one process per replica and let
Prometheus scrape every replica, as the compose file does. Labels are route templates
(`/api/v1/postcodes/{postcode}`), never the values in a path, so the series stay few and hold
nothing anybody asked about.
"""

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.models import OutboxMessage

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Pages and API answers: most within 50 ms, slow spatial queries up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class _StateCollector(Collector):
    """Gauges read at scrape time: the database pool and the email outbox."""

    def __init__(self, engine: Engine, session_factory: Callable[[], Session]) -> None:
        self.engine = engine
        self.session_factory = session_factory

    def collect(self) -> Iterator[Any]:
        pool: Any = self.engine.pool
        checked_out = GaugeMetricFamily(
            "assetmap_db_pool_checked_out", "Database connections in use by this process"
        )
        size = GaugeMetricFamily(
            "assetmap_db_pool_size", "Database connections this process keeps open at most"
        )
        if hasattr(pool, "checkedout"):
            checked_out.add_metric([], pool.checkedout())
        if hasattr(pool, "size"):
            size.add_metric([], pool.size() + (getattr(pool, "_max_overflow", 0) or 0))
        yield checked_out
        yield size
        outbox = GaugeMetricFamily(
            "assetmap_outbox_messages", "Emails waiting in the outbox", labels=["state"]
        )
        try:
            with self.session_factory() as session:
                waiting, failing = session.execute(
                    select(
                        func.count(OutboxMessage.id),
                        func.count(OutboxMessage.id).filter(OutboxMessage.attempts > 0),
                    )
                ).one()
        except Exception as exc:  # a scrape during an outage still answers with the rest
            log.warning("metrics: outbox not counted: %s", type(exc).__name__)
        else:
            outbox.add_metric(["waiting"], waiting)
            outbox.add_metric(["retrying"], failing)
        yield outbox


class Metrics:
    """One app's metrics, in a registry of its own (several apps may share a process)."""

    def __init__(self, engine: Engine, session_factory: Callable[[], Session]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "assetmap_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "assetmap_http_request_duration_seconds",
            "Time to answer, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StateCollector(engine, session_factory))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its time."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
