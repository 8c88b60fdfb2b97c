"""Load: a realistic mix of requests from many concurrent clients, against real server processes.

Not a test: it prints what it measured, with its inputs and the machine's load average. It only
ever talks to servers it starts itself on 127.0.0.1, for a bounded time.

    .venv/bin/python bench/load.py                  # both databases, 50 and 200 clients
    .venv/bin/python bench/load.py --backends spatialite --clients 50 --seconds 20
    .venv/bin/python bench/load.py --tree /tmp/base  # the same bench on another checkout
    .venv/bin/python bench/load.py --set ASSETMAP_RESPONSE_CACHE_MB=0  # a setting for the servers

Each backend gets a fresh database loaded with a real area (`assetmap demo --area-dir`, default
../shared/data/cardiff). SpatiaLite is served by one process; PostGIS by `--replicas` processes
(default 3) on one database, the clients spread over them round robin (as a load balancer would).
Every client sends one request at a time, drawn from the mix below, until the time is up; after
a 503 it waits as long as its Retry-After asks, as a person (or a polite client) would.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import fresh_target
from measure import free_port, server

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = Path(__file__).resolve().parent / "results"

# (name, weight): what the mix sends, in proportion.
MIX = (
    ("near-me list", 15),
    ("bbox list", 12),
    ("asset page", 20),
    ("search page", 10),
    ("search API", 5),
    ("planner", 5),
    ("area profile", 5),
    ("gap analysis", 8),
    ("map layer", 15),
    ("map context", 5),
)


@dataclass
class Inputs:
    """What the mix draws from, read from the running service itself."""

    asset_points: list[tuple[int, float, float]]
    area_codes: list[str]
    words: list[str]
    indicators: list[str]
    themes: list[str]

    def path(self, name: str, rng: random.Random) -> str:
        """One request of the named kind."""
        asset_id, lon, lat = rng.choice(self.asset_points)
        jitter_lon, jitter_lat = lon + rng.uniform(-0.01, 0.01), lat + rng.uniform(-0.01, 0.01)
        box = f"{lon - 0.02:.5f},{lat - 0.015:.5f},{lon + 0.02:.5f},{lat + 0.015:.5f}"
        match name:
            case "near-me list":
                return (
                    f"/api/v1/assets?near={jitter_lon:.5f},{jitter_lat:.5f}&radius_m=1000&limit=50"
                )
            case "bbox list":
                return f"/api/v1/assets?bbox={box}&limit=200"
            case "asset page":
                return f"/assets/{asset_id}"
            case "search page":
                return f"/search?q={rng.choice(self.words)}"
            case "search API":
                return f"/api/v1/assets?q={rng.choice(self.words)}&limit=20"
            case "planner":
                return "/planner"
            case "area profile":
                return f"/areas/{rng.choice(self.area_codes)}"
            case "gap analysis":
                return (
                    f"/api/v1/analysis/gaps?indicator={rng.choice(self.indicators)}"
                    f"&theme={rng.choice(self.themes)}"
                )
            case "map layer":
                return f"/api/v1/map/assets?zoom={rng.choice((12, 14, 16))}&bbox={box}"
            case "map context":
                return f"/api/v1/map/context?zoom=13&bbox={box}"
        raise ValueError(name)


def read_inputs(base: str) -> Inputs:
    """Asset ids and points, area codes, search words, indicators and themes of the service."""
    with httpx.Client(base_url=base, timeout=60) as client:
        points: list[tuple[int, float, float]] = []
        words: set[str] = set()
        url: str | None = "/api/v1/assets?limit=500&f=geojson"
        while url and len(points) < 5000:
            body = client.get(url).raise_for_status().json()
            for feature in body["features"]:
                lon, lat = feature["geometry"]["coordinates"]
                points.append((feature["id"], lon, lat))
                words.update(w for w in feature["properties"]["name_en"].split() if w.isalpha())
            links = [ln["href"] for ln in body.get("links", []) if ln.get("rel") == "next"]
            url = body.get("next") or (links[0] if links else None)
        areas = client.get("/api/v1/areas?limit=500").raise_for_status().json()["items"]
        codes = [area["code"] for area in areas if area["level"] == "lsoa"]
        indicators = client.get("/api/v1/indicators").raise_for_status().json()["items"]
        themes = client.get("/api/v1/themes").raise_for_status().json()["items"]
    if not (points and codes and indicators and themes):
        raise SystemExit("the loaded area has no assets, areas, indicators or themes")
    codes_of = [i["code"] for i in indicators], [t["code"] for t in themes]
    chosen = sorted(w for w in words if len(w) > 3)[:200]
    return Inputs(points, codes, chosen, *codes_of)


@dataclass
class Outcome:
    """What the clients saw in one run."""

    statuses: Counter[str] = field(default_factory=Counter)
    accepted_ms: list[float] = field(default_factory=list)  # every answer but a 503
    shed_ms: list[float] = field(default_factory=list)  # 503s
    by_kind: dict[str, list[float]] = field(default_factory=dict)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (linear), or nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def _client(
    number: int, bases: list[str], inputs: Inputs, deadline: float, outcome: Outcome, seed: int
) -> None:
    rng = random.Random(seed * 10_007 + number)
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    base = bases[number % len(bases)]
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while time.monotonic() < deadline:
            name = rng.choices(names, weights)[0]
            path = inputs.path(name, rng)
            started = time.perf_counter()
            try:
                response = await client.get(path)
                await response.aread()
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            outcome.statuses[status] += 1
            if status == "503":
                outcome.shed_ms.append(elapsed)
                # As a person (or a polite client) would: wait as long as the answer asks.
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            else:
                outcome.accepted_ms.append(elapsed)
                outcome.by_kind.setdefault(name, []).append(elapsed)


def run_load(bases: list[str], inputs: Inputs, clients: int, seconds: float, seed: int) -> Outcome:
    """`clients` concurrent clients for `seconds` against the servers; what they saw."""
    outcome = Outcome()

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_client(i, bases, inputs, deadline, outcome, seed) for i in range(clients))
        )

    asyncio.run(main())
    return outcome


def rss_mib(pids: list[int]) -> float:
    """Resident memory of the processes and their children, MiB."""
    total = 0
    seen: set[int] = set()
    queue = list(pids)
    while queue:
        pid = queue.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        total += next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS"))
        queue.extend(int(c) for c in children)
    return total / 1024


@contextmanager
def servers(tree: Path, env: dict[str, str], replicas: int) -> Iterator[list[tuple[str, int]]]:
    """`replicas` app processes from the source tree; yields (base URL, pid) of each."""
    with ExitStack() as stack:
        found = []
        for _ in range(replicas):
            port = free_port()
            command = [
                PYTHON, "-m", "uvicorn", "app.main:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            ]  # fmt: skip
            base = stack.enter_context(server(command, env, port, "/healthz", cwd=tree))
            found.append((base, _pid_listening(port)))
        yield found


def _pid_listening(port: int) -> int:
    out = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    for part in out.split("pid=")[1:]:
        return int(part.split(",")[0])
    raise RuntimeError(f"no process listens on {port}")


def load_area(tree: Path, env: dict[str, str], area_dir: Path) -> float:
    """`assetmap demo --area-dir` through the tree's own CLI; seconds taken."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-c", "from app.cli import app; app()", "demo", "--area-dir", str(area_dir)],
        env=env, cwd=tree, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"loading {area_dir} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - started


def summarise(outcome: Outcome, seconds: float, processes: int) -> dict[str, Any]:
    """The figures of one run."""
    total = sum(outcome.statuses.values())
    return {
        "requests": total,
        "requests_per_s": round(total / seconds, 1),
        "accepted_per_s_per_process": round(len(outcome.accepted_ms) / seconds / processes, 1),
        "statuses": dict(sorted(outcome.statuses.items())),
        "accepted_p50_ms": round(quantile(outcome.accepted_ms, 0.50), 1),
        "accepted_p95_ms": round(quantile(outcome.accepted_ms, 0.95), 1),
        "accepted_p99_ms": round(quantile(outcome.accepted_ms, 0.99), 1),
        "shed_p50_ms": round(quantile(outcome.shed_ms, 0.50), 1),
        "by_kind_p50_ms": {
            name: round(quantile(values, 0.5), 1)
            for name, values in sorted(outcome.by_kind.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--clients", default="50,200", help="concurrent clients, one run each")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--replicas", type=int, default=3, help="app processes on PostGIS")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--area-dir", type=Path, default=ROOT.parent / "shared/data/cardiff")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to serve")
    parser.add_argument("--pg-database", default="bench_load")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the servers, e.g. ASSETMAP_RESPONSE_CACHE_MB=0 (repeatable)",
    )
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    tree = args.tree.resolve()
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    print(f"tree {tree} at {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(f"area {args.area_dir}; {os.cpu_count()} CPUs; clients {args.clients}; {args.seconds} s")
    print(f"settings: {settings or 'the defaults'}")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="assetmap-load-") as work:
        for backend in args.backends.split(","):
            # Empty: the tree's own `demo` migrates it (its migrations may not be this checkout's).
            target = fresh_target(
                backend, workdir=Path(work), pg_database=args.pg_database, migrate=False
            )
            target.engine.dispose()
            env = {
                **target.env(),
                "PYTHONPATH": str(tree),
                "ASSETMAP_MAIL_EVERY_SECONDS": "0",
                **settings,
            }
            loaded = load_area(tree, env, args.area_dir)
            replicas = args.replicas if backend == "postgis" else 1
            with servers(tree, env, replicas) as running:
                bases = [base for base, _ in running]
                pids = [pid for _, pid in running]
                inputs = read_inputs(bases[0])
                print(
                    f"\n{backend}: {replicas} process(es); loaded in {loaded:.1f} s: "
                    f"{len(inputs.asset_points)} assets, {len(inputs.area_codes)} areas"
                )
                run_load(bases, inputs, 5, 5, args.seed)  # warm every process and cache
                for clients in (int(c) for c in args.clients.split(",")):
                    rss_before = rss_mib(pids)
                    load_before = os.getloadavg()[0]
                    outcome = run_load(bases, inputs, clients, args.seconds, args.seed)
                    figures = summarise(outcome, args.seconds, replicas)
                    figures.update(
                        backend=backend, clients=clients, processes=replicas,
                        rss_mib_before=round(rss_before, 1), rss_mib_after=round(rss_mib(pids), 1),
                        load_before=round(load_before, 2), load_after=round(os.getloadavg()[0], 2),
                    )  # fmt: skip
                    results.append(figures)
                    print(
                        f"  {clients:>4} clients: {figures['requests']} requests "
                        f"({figures['requests_per_s']}/s; accepted "
                        f"{figures['accepted_per_s_per_process']}/s per process), "
                        f"statuses {figures['statuses']}; accepted p50/p95/p99 "
                        f"{figures['accepted_p50_ms']}/{figures['accepted_p95_ms']}/"
                        f"{figures['accepted_p99_ms']} ms; 503 p50 {figures['shed_p50_ms']} ms; "
                        f"RSS {figures['rss_mib_before']} -> {figures['rss_mib_after']} MiB; "
                        f"load {figures['load_before']} -> {figures['load_after']}"
                    )
                    print(f"        p50 by kind (ms): {figures['by_kind_p50_ms']}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"load-{stamp}.json"
    out.write_text(
        json.dumps(
            {"tree": str(tree), "commit": commit, "settings": settings, "runs": results}, indent=1
        )
    )
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
