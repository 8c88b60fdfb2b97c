"""assetmap benchmark: figures through the HTTP API beside the same-run floor, per backend.

    .venv/bin/python bench/run.py [--n 100000] [--backends spatialite,postgis] [--seed 42]

Prints a table and writes bench/results/<timestamp>.json. Exits 1 when a spatial query plan
does not use the spatial index or a response is wrong; a missed speed target only prints MISS.
bench/README.md says what each figure means.
"""

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from app.spatial import backend_for

import databases
import report
import standin
import tipg_compare
from cases import SPATIAL_INDEX, Case, build_cases, ogc_items_path
from generate import bbox_with, generate_csv, near_points
from measure import floor_lane, free_port, http_lane, interleaved, server, sql_floor_lane
from report import FIRST_CASE

HERE = Path(__file__).resolve().parent


def _load(
    target: databases.Target, csv_path: Path, n: int, args: argparse.Namespace
) -> tuple[databases.Target, dict]:
    """Load the CSV with the import CLI when it exists (and --loader allows), else in bulk."""
    cli_error = None
    has_cli = args.loader != "bulk" and databases.import_cli_available()
    if args.loader == "cli" and not has_cli:
        raise SystemExit("--loader cli: `assetmap import assets` is not available")
    if has_cli:
        try:
            seconds = databases.load_with_cli(target, csv_path)
            loader = "cli: assetmap import assets"
        except RuntimeError as exc:
            cli_error = str(exc)
            print(f"  import CLI FAILED, falling back to the bulk stand-in:\n    {cli_error}")
            databases.drop(target)
            target = databases.fresh_target(
                target.backend, workdir=csv_path.parent, pg_database=args.pg_database
            )
    if cli_error is not None or not has_cli:
        seconds = standin.load_bulk(target, csv_path)
        why = "no CLI" if args.loader == "auto" else "--loader bulk"
        loader = f"bulk-insert stand-in ({'CLI failed' if cli_error else why})"
    rows = databases.row_count(target)
    if rows != n:
        raise SystemExit(f"{target.backend}: {rows} rows in the database after loading {n}")
    info: dict[str, Any] = {"loader": loader, "seconds": round(seconds, 3)}
    info["rows_per_s"] = round(n / seconds)
    if cli_error:
        info["cli_error"] = cli_error
    return target, info


NO_RESPONSE_CACHE = {"ASSETMAP_RESPONSE_CACHE_MB": "0"}


def _app_server(target: databases.Target) -> Any:
    port = free_port()
    command = [str(databases.BIN / "uvicorn"), "app.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--log-level", "warning", "--no-access-log"]
    # Without the response cache: each case repeats its requests, and a kept answer would time
    # the cache, not the list being made.
    return server(command, target.env() | NO_RESPONSE_CACHE, port, "/healthz")


def _check(client: httpx.Client, url: str, case: Case, problems: list[str], label: str) -> bool:
    """One untimed request: is the answer right? Records a problem if not."""
    response = client.get(url)
    if response.status_code != 200:
        problems.append(f"{label}: HTTP {response.status_code} for {url}")
        return False
    problem = case.check(response.json())
    if problem:
        problems.append(f"{label}: {problem}")
    return problem is None


def _plans(target: databases.Target, cases: list[Case]) -> dict[str, bool]:
    spatial = backend_for(target.engine.dialect.name)
    with target.engine.connect() as connection:
        return {
            case.name: all(
                spatial.plan_uses_spatial_index(connection, stmt, SPATIAL_INDEX)
                for stmt in case.statements[:5]
            )
            for case in cases
            if case.spatial
        }


def _start_tipg(stack: ExitStack, target: databases.Target, notes: list[str]) -> str | None:
    try:
        version = tipg_compare.ensure_installed()
        base = stack.enter_context(tipg_compare.tipg_server(target.url))
    except Exception as exc:  # losing the comparison must not lose our own figures
        notes.append(f"tipg not run: {type(exc).__name__}: {str(exc)[:400]}")
        print(f"  {notes[-1]}")
        return None
    notes.append(f"tipg {version}")
    return base


def run_backend(backend: str, data: Any, args: argparse.Namespace, problems: list[str]) -> dict:
    """Load, check plans, time every case (and tipg on PostGIS); the backend's results."""
    print(f"\n== {backend} ==", flush=True)
    target = databases.fresh_target(backend, workdir=data.path.parent, pg_database=args.pg_database)
    result: dict[str, Any] = {"versions": databases.versions(target)}
    print("  versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    target, result["import"] = _load(target, data.path, data.n, args)
    imp = result["import"]
    print(f"  loaded {data.n:,} rows in {imp['seconds']:.1f} s ({imp['loader']})", flush=True)
    databases.analyze(target)

    bbox, bbox_count = bbox_with(data)
    result["bbox"] = {"bbox": bbox, "features_in_bbox": bbox_count}
    points = near_points(data, args.requests, args.seed)
    cases = build_cases(
        target.engine, bbox=bbox, bbox_count=bbox_count, points=points, repeats=args.requests
    )
    result["plans_use_spatial_index"] = plans = _plans(target, cases)
    problems.extend(
        f"{backend}: the plan for {name} does not use {SPATIAL_INDEX}"
        for name, ok in plans.items()
        if not ok
    )

    timings: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    with ExitStack() as stack:
        base = stack.enter_context(_app_server(target))
        client = stack.enter_context(httpx.Client(timeout=120))
        tipg_base = None
        if backend == "postgis" and not args.no_tipg:
            tipg_base = _start_tipg(stack, target, notes)
        for index, case in enumerate(cases):
            _check(client, base + case.paths[0], case, problems, f"{backend}: {case.name}")
            lanes = {
                "http": http_lane(client, [base + p for p in case.paths]),
                "floor": floor_lane(target.engine, case.statements),
            }
            if case.sql_floor:
                lanes["sql_floor"] = sql_floor_lane(target.engine, case.sql_floor)
            if case.name == FIRST_CASE:  # what any request costs: HTTP, FastAPI, a session
                lanes["healthz"] = http_lane(client, [base + "/healthz"] * args.requests)
            if index == 0:  # the bbox case: our OGC items and tipg over the same bbox
                ogc = [base + ogc_items_path(bbox)] * args.requests
                if _check(client, ogc[0], case, [], "ogc"):
                    lanes["ogc"] = http_lane(client, ogc)
                else:
                    notes.append("/ogc items not available in this build: skipped")
                if tipg_base:
                    box = ",".join(f"{v:.6f}" for v in bbox)
                    tipg = [tipg_compare.items_url(tipg_base, box, 1000)] * args.requests
                    if _check(client, tipg[0], case, problems, "tipg"):
                        lanes["tipg"] = http_lane(client, tipg)
            timings[case.name] = {**interleaved(lanes, args.requests, args.warmup)}
            timings[case.name]["notes"] = case.notes
    result["notes"] = notes
    result["cases"] = timings
    report.print_backend(backend, data.n, result)
    result["cases"] = report.jsonable(timings)
    databases.drop(target)
    return result


def main() -> int:
    """Parse arguments, run each backend, print and save the results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="assets to generate (default 100k)")
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per case first")
    parser.add_argument(
        "--loader",
        choices=("auto", "cli", "bulk"),
        default="auto",
        help="auto: the import CLI if it exists, else the bulk stand-in",
    )
    parser.add_argument(
        "--pg-database",
        default="bench",
        help="PostGIS database to drop and re-create (name must start with `bench`)",
    )
    parser.add_argument("--no-tipg", action="store_true", help="skip the tipg comparison")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    machine = report.machine()
    print(
        f"assetmap bench: N={args.n:,} seed={args.seed} backends={','.join(backends)} "
        f"requests={args.requests} (+{args.warmup} warm-up) per case"
    )
    print(
        f"machine: {machine['nproc']} cpus ({machine['cpu']}), load {machine['loadavg']}, "
        f"Python {machine['python']}, {machine['platform']}, commit {machine['git']}"
    )

    problems: list[str] = []
    results: dict[str, Any] = {"inputs": vars(args), "machine": machine, "backends": {}}
    with tempfile.TemporaryDirectory(prefix="assetmap-bench-") as tmp:
        started = time.perf_counter()
        data = generate_csv(Path(tmp) / "assets.csv", args.n, args.seed)
        size = data.path.stat().st_size / 1e6
        elapsed = time.perf_counter() - started
        print(f"generated {args.n:,} assets ({size:.0f} MB CSV) in {elapsed:.1f} s")
        results["cli_startup_s"] = round(databases.cli_startup_seconds(), 3)
        print(f"`assetmap --help` takes {results['cli_startup_s']:.2f} s (in import wall time)")
        for backend in backends:
            results["backends"][backend] = run_backend(backend, data, args, problems)

    results["machine"]["loadavg_end"] = report.machine()["loadavg"]
    results["problems"] = problems
    out = HERE / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {out.relative_to(HERE.parent)}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
