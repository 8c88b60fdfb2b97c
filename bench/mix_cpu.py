"""CPU per request of bench/load.py's mix, in one process, with no HTTP server or clients.

Not a test: it prints what it measured. It draws 2N requests from load.py's mix (same kinds and
weights, same inputs read from the service), sends the first N to warm every cache, then times
the next N through FastAPI's test client, and prints CPU and wall milliseconds per request. The
client's own cost is included (about 1-2 ms a request here), so compare runs, not absolutes:

    ASSETMAP_DATABASE_URL=sqlite:////tmp/ld.db .venv/bin/python bench/mix_cpu.py 1500
    ASSETMAP_RESPONSE_CACHE_MB=0 ASSETMAP_DATABASE_URL=... .venv/bin/python bench/mix_cpu.py 1500

The database must hold an area and assets (`assetmap demo --area-dir ../shared/data/cardiff`).
"""

import contextlib
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ASSETMAP_BASEMAP", "none")
os.environ.setdefault("ASSETMAP_MAIL_EVERY_SECONDS", "0")
os.environ.setdefault("ASSETMAP_MAX_CONCURRENT_REQUESTS", "0")

from fastapi.testclient import TestClient

from app.main import create_app

import load


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    with TestClient(create_app()) as client:
        load.httpx.Client = lambda **_: contextlib.nullcontext(client)  # type: ignore[assignment,misc]
        inputs = load.read_inputs("")
        rng = random.Random(7)
        names = [name for name, _ in load.MIX]
        weights = [weight for _, weight in load.MIX]
        paths = [inputs.path(rng.choices(names, weights)[0], rng) for _ in range(2 * n)]
        for path in paths[:n]:
            client.get(path)
        started, cpu = time.perf_counter(), time.process_time()
        for path in paths[n:]:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
        cpu_ms = (time.process_time() - cpu) / n * 1000
        wall_ms = (time.perf_counter() - started) / n * 1000
    cache = os.environ.get("ASSETMAP_RESPONSE_CACHE_MB", "default")
    print(
        f"mix of {n} requests after {n} of warm-up (response cache MB: {cache}): "
        f"CPU {cpu_ms:.2f} ms/request, wall {wall_ms:.2f} ms/request; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
