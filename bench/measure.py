"""Timing: HTTP requests against a real server process, and the in-process SQL + orjson floor."""

import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, Select


@dataclass
class Timing:
    """Milliseconds of repeated runs of one operation."""

    samples_ms: list[float]

    @property
    def p50(self) -> float:
        """Median."""
        return _quantile(self.samples_ms, 0.50)

    @property
    def p95(self) -> float:
        """95th percentile."""
        return _quantile(self.samples_ms, 0.95)

    def as_dict(self) -> dict[str, float | int]:
        """Summary for the JSON results."""
        return {"p50_ms": round(self.p50, 3), "p95_ms": round(self.p95, 3), "n": len(self)}

    def __len__(self) -> int:
        return len(self.samples_ms)


def _quantile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    command: list[str], env: dict[str, str], port: int, ready_path: str, cwd: Path | None = None
) -> Iterator[str]:
    """Run an HTTP server subprocess until ready_path answers 200; yield its base URL."""
    base = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a chatty server must never block on a full pipe mid-benchmark.
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=log, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"exited {process.returncode}: {log.read()[-2000:]}")
                try:
                    if httpx.get(base + ready_path, timeout=30).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{base}{ready_path} not ready after 60 s")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def interleaved(
    lanes: dict[str, Callable[[int], object]], count: int, warmup: int
) -> dict[str, Timing]:
    """Time each lane's operation i for i in range(count), lanes taking turns.

    Taking turns (HTTP, floor, HTTP, floor, ...) puts every figure of a case in the same time
    window, so a ratio stays fair when other work on the machine comes and goes.
    """
    for i in range(warmup):
        for operation in lanes.values():
            operation(i % count)
    samples: dict[str, list[float]] = {name: [] for name in lanes}
    for i in range(count):
        for name, operation in lanes.items():
            started = time.perf_counter()
            operation(i)
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: Timing(values) for name, values in samples.items()}


def http_lane(client: httpx.Client, urls: Sequence[str]) -> Callable[[int], object]:
    """GET urls[i] and read the whole body (keep-alive client, so no connection set-up)."""

    def get(i: int) -> object:
        response = client.get(urls[i])
        response.raise_for_status()
        return response.content

    return get


def _default(value: Any) -> Any:
    # Rows may hold geometry (WKB) values; the floor only has to make bytes of them.
    data = getattr(value, "data", value)
    if isinstance(data, (bytes, memoryview)):
        return bytes(data).hex()
    return str(data)


def fetch_and_dump(engine: Engine, stmt: Select[Any]) -> tuple[int, int]:
    """The floor: run the statement, make each row a dict, orjson the list; (rows, bytes)."""
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(stmt)]
    # Row keys can be str subclasses (quoted_name); the app's JSONBody passes this option too.
    body = orjson.dumps(rows, default=_default, option=orjson.OPT_NON_STR_KEYS)
    return len(rows), len(body)


def floor_lane(engine: Engine, statements: Sequence[Select[Any]]) -> Callable[[int], object]:
    """fetch_and_dump(statements[i]): the floor for the HTTP request of the same index."""
    return lambda i: fetch_and_dump(engine, statements[i])


def sql_floor_lane(engine: Engine, statements: Sequence[Select[Any]]) -> Callable[[int], object]:
    """One statement building the whole FeatureCollection in the database, its value read."""

    def run(i: int) -> object:
        with engine.connect() as connection:
            return connection.execute(statements[i]).scalar()

    return run
