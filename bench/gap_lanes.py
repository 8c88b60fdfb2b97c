"""The timed operations of the gap benchmark, and running each once under a time budget first
(a statement that would run for hours at 1M must cost the run minutes, not the afternoon)."""

import math
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine, event

from app.db import make_engine, make_session_factory
from app.services.needs import analysis
from app.services.needs.analysis import GapParameters, counts_in_areas, counts_within, gap_analysis
from app.settings import Settings

import gap_remedies as remedies
from gap_data import INDICATOR, LEVEL
from gap_floor import read_inputs

REMEDY = "what-if: "  # lanes timing gap_remedies.py prototypes or settings, not the app as is
GAP = "gap_analysis"
HTTP_JSON = "HTTP gaps JSON"
HTTP_GEOJSON = "HTTP gaps GeoJSON"
FLOOR = "floor: read the inputs"  # gap_floor.py: the reads alone, in-process
BEFORE_17 = REMEDY + "gap_analysis, counts as before issue 17"


@dataclass
class Budget:
    """Seconds one probe call may take; the deadline of the call under way."""

    seconds: float
    deadline: float = math.inf

    def start(self) -> None:
        """A probe call begins now."""
        self.deadline = time.monotonic() + self.seconds

    def stop(self) -> None:
        """No probe under way: nothing times out."""
        self.deadline = math.inf


def app_engine(url: str, *, jit: bool | None = None, budget: Budget | None = None) -> Engine:
    """An engine as the app makes it; optionally PostgreSQL's JIT set on or off after the app's
    own connect (which turns it off), and statements that give up when the budget's deadline
    passes (statement_timeout; SQLite's progress handler)."""
    engine = make_engine(Settings(database_url=url))

    def prepare(dbapi_connection: Any, _record: Any) -> None:
        if engine.dialect.name == "postgresql":
            settings = [] if jit is None else [f"SET jit = {'on' if jit else 'off'}"]
            if budget is not None:
                settings.append(f"SET statement_timeout = {int(budget.seconds * 1000)}")
            if settings:
                with dbapi_connection.cursor() as cursor:
                    for setting in settings:
                        cursor.execute(setting)
                dbapi_connection.commit()  # a SET inside a rolled-back transaction is undone
        elif budget is not None:
            dbapi_connection.set_progress_handler(
                lambda: int(time.monotonic() > budget.deadline), 20_000
            )

    event.listen(engine, "connect", prepare)
    return engine


def gaps_path(theme: str, distance_m: float, fmt: str | None = None) -> str:
    """The gap analysis request for a theme."""
    query = {"indicator": INDICATOR, "theme": theme, "level": LEVEL, "distance_m": distance_m}
    if fmt:
        query["f"] = fmt
    return "/api/v1/analysis/gaps?" + urlencode(query)


def build(
    *,
    backend: str,
    url: str,
    themes: list[str],
    distance_m: float,
    client: httpx.Client,
    base: str,
    remedy_lanes: bool,
    budget: Budget | None = None,
) -> dict[str, Callable[[int], Any]]:
    """The app's operations (and the what-ifs) for call i on themes[i]."""
    engine = app_engine(url, budget=budget)

    def in_process(
        function: Any, on: Engine = engine, swaps: dict[str, Any] | None = None
    ) -> Callable[[int], Any]:
        factory = make_session_factory(on)

        def run(i: int) -> Any:
            # `swaps`: gap_analysis with other counting functions in place, for this call.
            with factory() as session, ExitStack() as stack:
                for name, replacement in (swaps or {}).items():
                    stack.enter_context(patch.object(analysis, name, replacement))
                if function is gap_analysis:
                    params = GapParameters(INDICATOR, themes[i], LEVEL, distance_m)
                    return gap_analysis(session, params)
                if function is read_inputs:
                    return read_inputs(session, level=LEVEL, theme=themes[i], indicator=INDICATOR)
                if function in (
                    counts_in_areas,
                    remedies.counts_in_areas_before,
                    remedies.counts_in_areas_through_assignment,
                ):
                    return function(session, level=LEVEL, theme=themes[i])
                return function(session, level=LEVEL, theme=themes[i], distance_m=distance_m)

        return run

    def http(fmt: str | None) -> Callable[[int], Any]:
        def get(i: int) -> Any:
            response = client.get(base + gaps_path(themes[i], distance_m, fmt))
            response.raise_for_status()
            return response.content

        return get

    lanes = {
        GAP: in_process(gap_analysis),
        FLOOR: in_process(read_inputs),
        "counts_in_areas": in_process(counts_in_areas),
        "counts_within": in_process(counts_within),
        HTTP_JSON: http(None),
        HTTP_GEOJSON: http("geojson"),
    }
    if not remedy_lanes:
        return lanes
    lanes[BEFORE_17] = in_process(gap_analysis, swaps={"gap_counts": remedies.gap_counts_before_17})
    lanes[REMEDY + "counts_in_areas through asset_areas (before issue 17)"] = in_process(
        remedies.counts_in_areas_through_assignment
    )
    before = {"gap_counts": remedies.gap_counts_before}
    lanes[REMEDY + "gap_analysis as before"] = in_process(gap_analysis, swaps=before)
    if backend == "postgis":
        jit_on = app_engine(url, jit=True, budget=budget)
        lanes[REMEDY + "gap_analysis, jit on"] = in_process(gap_analysis, jit_on)
        lanes[REMEDY + "counts_in_areas, jit on"] = in_process(counts_in_areas, jit_on)
    lanes[REMEDY + "counts_in_areas as before"] = in_process(remedies.counts_in_areas_before)
    lanes[REMEDY + "counts_within as before"] = in_process(remedies.counts_within_before)
    lanes[REMEDY + "counts_within, rows fetch"] = in_process(remedies.counts_within_rows_fetch)
    return lanes


@dataclass
class Probe:
    """One untimed-budget call of an operation: seconds taken and value, or why it stopped."""

    seconds: float | None
    value: Any = None
    error: str | None = None


def probe(lanes: dict[str, Callable[[int], Any]], budget: Budget) -> dict[str, Probe]:
    """Call each operation once (call 0) within the budget; HTTP lanes only when the in-process
    gap analysis finished (the server would otherwise compute on, long after the timeout)."""
    results: dict[str, Probe] = {}
    for name, operation in lanes.items():
        if name.startswith("HTTP") and results[GAP].seconds is None:
            results[name] = Probe(None, error="skipped: gap_analysis did not finish in budget")
            continue
        budget.start()
        started = time.perf_counter()
        try:
            value = operation(0)
        except Exception as exc:  # a timeout from the driver, the progress handler or httpx
            elapsed = time.perf_counter() - started
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            results[name] = Probe(None, error=f"stopped after {elapsed:.0f} s: {first}")
        else:
            results[name] = Probe(time.perf_counter() - started, value)
        finally:
            budget.stop()
        took = results[name]
        shown = f"{took.seconds * 1000:.0f} ms" if took.seconds is not None else took.error
        print(f"  probe {name}: {shown}", flush=True)
    return results
