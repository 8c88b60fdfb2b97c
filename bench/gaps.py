"""Gap analysis at the scale of all Wales: synthetic LSOA-like areas x N assets, per backend.

    .venv/bin/python bench/gaps.py [--n 1000000] [--areas 1909] [--backends postgis,spatialite]

Loads the areas and a need indicator through the service layer, the assets with the bulk
stand-in, times assign_all_assets, then times gap_analysis (and its two counting queries)
in-process and GET /api/v1/analysis/gaps over HTTP. Prints a table and the plans of the two
counting statements; writes bench/results/gaps-<timestamp>.json. Exits 1 when an answer is
wrong on the independent spot check; a missed speed target only prints MISS.
"""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import numpy as np

from app.db import make_session_factory
from app.services.analysis import GapParameters, counts_in_areas, counts_within, gap_analysis
from app.services.areas import assign_all_assets

import databases
import gap_remedies as remedies
import report
import standin
from gap_data import INDICATOR, LEVEL, Areas, generate_areas, load_areas, read_themes, spot_check
from gap_plans import plan, statements_of
from generate import THEMES, generate_csv
from measure import Timing, free_port, interleaved, server

HERE = Path(__file__).resolve().parent
TARGET_MS = 500.0  # issue 4: <= 0.5 s per gap analysis call on PostGIS
GATED = ("gap_analysis", "HTTP gaps JSON")
REMEDY = "what-if: "  # lanes timing gap_remedies.py prototypes, not the app


def _app_server(target: databases.Target) -> Any:
    port = free_port()
    command = [str(databases.BIN / "uvicorn"), "app.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--log-level", "warning", "--no-access-log"]
    return server(command, target.env(), port, "/healthz")


@contextmanager
def _server_and_client(target: databases.Target) -> Iterator[tuple[str, httpx.Client]]:
    """The app under uvicorn (one worker, no access log) and a keep-alive client on it."""
    with _app_server(target) as base, httpx.Client(timeout=300) as client:
        yield base, client


def _gaps_path(theme: str, distance_m: float, fmt: str | None = None) -> str:
    query = {"indicator": INDICATOR, "theme": theme, "level": LEVEL, "distance_m": distance_m}
    if fmt:
        query["f"] = fmt
    return "/api/v1/analysis/gaps?" + urlencode(query)


def _load(target: databases.Target, areas: Areas, data: Any) -> dict[str, Any]:
    """Areas and indicator (service layer), assets (bulk stand-in), then the assignment."""
    factory = make_session_factory(target.engine)
    info: dict[str, Any] = {}
    with factory() as session:
        info["areas"] = load_areas(session, areas)
    print(
        f"  {len(areas.codes):,} areas + indicator saved in {info['areas']['with_indicator_s']} s"
    )
    info["bulk_load_s"] = round(standin.load_bulk(target, data.path), 3)
    rows = databases.row_count(target)
    if rows != data.n:
        raise SystemExit(f"{target.backend}: {rows} assets after loading {data.n}")
    print(
        f"  {data.n:,} assets bulk-loaded in {info['bulk_load_s']:.1f} s (standin.py)", flush=True
    )
    databases.analyze(target)
    with factory() as session:
        started = time.perf_counter()
        assigned = assign_all_assets(session)
        session.commit()
        info["assign_all_assets_s"] = round(time.perf_counter() - started, 3)
    info["assignments"] = assigned
    print(
        f"  assign_all_assets: {assigned:,} assignments in {info['assign_all_assets_s']:.1f} s "
        f"({assigned / info['assign_all_assets_s']:,.0f} assets/s)",
        flush=True,
    )
    databases.analyze(target)
    return info


def _check(
    target: databases.Target,
    client: httpx.Client,
    base: str,
    areas: Areas,
    data: Any,
    masks: dict[str, np.ndarray],
    args: argparse.Namespace,
) -> tuple[list[str], dict[str, Any]]:
    """Spot-check the in-process and the HTTP answer for two themes; (problems, facts)."""
    factory = make_session_factory(target.engine)
    rng = np.random.default_rng(args.seed + 7)
    problems: list[str] = []
    facts: dict[str, Any] = {}
    for theme, how in ((THEMES[0], "in-process"), (THEMES[1], "HTTP")):
        if how == "HTTP":
            response = client.get(base + _gaps_path(theme, args.distance))
            response.raise_for_status()
            rows = response.json()["items"]
        else:
            with factory() as session:
                params = GapParameters(INDICATOR, theme, LEVEL, args.distance)
                rows = gap_analysis(session, params)["items"]
        index = {code: i for i, code in enumerate(areas.codes)}
        busiest = sorted(rows, key=lambda r: -r["assets_within_distance"])[:3]
        picks = sorted({*rng.choice(len(areas.codes), 5, replace=False).tolist()})
        picks += [index[r["area_code"]] for r in busiest]
        mask = masks[theme]
        label = f"{target.backend} {how} {theme}"
        problems += spot_check(
            rows, areas, picks, data.lon[mask], data.lat[mask], args.distance, label
        )
        within = [r["assets_within_distance"] for r in rows]
        facts[theme] = {
            "theme_assets": int(mask.sum()),
            "areas_with_asset_within": sum(1 for w in within if w),
            "max_within": max(within),
            "mean_within": round(sum(within) / len(within), 1),
            "checked_areas": [areas.codes[i] for i in picks],
        }
        print(
            f"  check {how} {theme}: {facts[theme]['theme_assets']:,} theme assets; areas "
            f"{', '.join(facts[theme]['checked_areas'])} recounted: "
            f"{'OK' if not problems else 'WRONG'}"
        )
    return problems, facts


def _plans(target: databases.Target, args: argparse.Namespace) -> dict[str, Any]:
    """The SQL of counts_in_areas and counts_within, with plan and lone fetch time."""
    factory = make_session_factory(target.engine)
    out: dict[str, Any] = {}
    calls = {
        "counts_in_areas": lambda s: counts_in_areas(s, level=LEVEL, theme=THEMES[0]),
        "counts_within": lambda s: counts_within(
            s, level=LEVEL, theme=THEMES[0], distance_m=args.distance
        ),
    }
    for name, call in calls.items():
        with factory() as session:
            statements = statements_of(target.engine, lambda c=call, s=session: c(s))
        out[name] = [plan(target.engine, statement) for statement in statements]
    return out


def _lanes(
    target: databases.Target, client: httpx.Client, base: str, args: argparse.Namespace
) -> dict[str, Any]:
    """The timed operations, each a function of the call number (themes take turns)."""
    themes = [THEMES[i % len(THEMES)] for i in range(args.calls)]

    def in_process(function: Any, engine: Any = target.engine) -> Any:
        factory = make_session_factory(engine)

        def run(i: int) -> object:
            with factory() as session:
                if function is gap_analysis:
                    return gap_analysis(
                        session, GapParameters(INDICATOR, themes[i], LEVEL, args.distance)
                    )
                if function is counts_in_areas:
                    return counts_in_areas(session, level=LEVEL, theme=themes[i])
                return function(session, level=LEVEL, theme=themes[i], distance_m=args.distance)

        return run

    def http(fmt: str | None) -> Any:
        def get(i: int) -> object:
            response = client.get(base + _gaps_path(themes[i], args.distance, fmt))
            response.raise_for_status()
            return response.content

        return get

    lanes = {
        "gap_analysis": in_process(gap_analysis),
        "counts_in_areas": in_process(counts_in_areas),
        "counts_within": in_process(counts_within),
        "HTTP gaps JSON": http(None),
        "HTTP gaps GeoJSON": http("geojson"),
    }
    if args.no_remedies:
        return lanes
    if target.backend == "postgis":
        no_jit = remedies.jit_off_engine(target.engine)
        lanes[REMEDY + "gap_analysis, jit off"] = in_process(gap_analysis, no_jit)
        lanes[REMEDY + "counts_within, jit off"] = in_process(counts_within, no_jit)
    lanes[REMEDY + "counts_within asset-driven"] = in_process(remedies.counts_within_asset_driven)
    lanes[REMEDY + "counts_within in Python"] = in_process(remedies.counts_within_python)
    return lanes


def _remedies_agree(target: databases.Target, args: argparse.Namespace) -> list[str]:
    """Notes on any remedy whose counts differ from the app's counts_within (not failures)."""
    factory = make_session_factory(target.engine)
    notes = []
    with factory() as session:
        for theme in THEMES[:3]:
            kwargs = {"level": LEVEL, "theme": theme, "distance_m": args.distance}
            expected = {k: v for k, v in counts_within(session, **kwargs).items() if v}
            for name in ("counts_within_asset_driven", "counts_within_python"):
                got = getattr(remedies, name)(session, **kwargs)
                if got != expected:
                    differ = sum(
                        1 for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)
                    )
                    notes.append(f"{name} differs from counts_within in {differ} areas ({theme})")
    print("  remedies give the app's counts_within: " + ("; ".join(notes) or "yes (3 themes)"))
    return notes


def _print_table(backend: str, timings: dict[str, Timing]) -> None:
    print(f"  {'operation (ms)':<40} {'p50':>8} {'p95':>8}  target / vs the app")
    for name, t in timings.items():
        verdict = ""
        if name in GATED:
            ok = t.p50 <= TARGET_MS and t.p95 <= TARGET_MS
            binding = "" if backend == "postgis" else ", not binding"
            verdict = f"{'PASS' if ok else 'MISS'} (<= {TARGET_MS:g} ms p50 and p95{binding})"
        elif name.startswith(REMEDY):
            app = "gap_analysis" if "gap_analysis" in name else "counts_within"
            verdict = f"{t.p50 / timings[app].p50:.2f}x the app's {app} p50"
        print(f"  {name:<40} {t.p50:8.1f} {t.p95:8.1f}  {verdict}")


def _print_plans(plans: dict[str, Any]) -> None:
    for name, statements in plans.items():
        main = max(statements, key=lambda s: s["fetch_ms"])
        print(f"  plan of {name} (alone: {main['fetch_ms']} ms, {main['rows']} rows):")
        for line in main["plan"][:40]:
            print(f"    {line}")


def run_backend(
    backend: str, areas: Areas, data: Any, masks: dict[str, np.ndarray], args: argparse.Namespace
) -> tuple[dict[str, Any], list[str]]:
    """Load, check, explain and time one backend; (results, problems)."""
    print(f"\n== {backend} ==", flush=True)
    target = databases.fresh_target(backend, workdir=data.path.parent, pg_database=args.pg_database)
    result: dict[str, Any] = {"versions": databases.versions(target)}
    print("  versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    result["load"] = _load(target, areas, data)
    with _server_and_client(target) as (base, client):
        problems, result["checks"] = _check(target, client, base, areas, data, masks, args)
        result["plans"] = _plans(target, args)
        if not args.no_remedies:
            result["remedy_notes"] = _remedies_agree(target, args)
        timings = interleaved(_lanes(target, client, base, args), args.calls, args.warmup)
    _print_table(backend, timings)
    _print_plans(result["plans"])
    result["timings"] = {name: t.as_dict() for name, t in timings.items()}
    databases.drop(target)
    return result, problems


def main() -> int:
    """Parse arguments, generate data, run each backend, print and save the results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="assets (default 1M)")
    parser.add_argument("--areas", type=int, default=1909, help="areas (default 1,909)")
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--calls", type=int, default=15, help="timed calls per operation")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls per operation first")
    parser.add_argument("--distance", type=float, default=800.0, help="distance_m (default 800)")
    parser.add_argument(
        "--no-remedies", action="store_true", help="time only the app (no gap_remedies lanes)"
    )
    parser.add_argument(
        "--pg-database",
        default="bench_gaps",
        help="PostGIS database to drop and re-create (name must start with `bench`)",
    )
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    machine = report.machine()
    print(
        f"assetmap gap bench: N={args.n:,} areas={args.areas:,} seed={args.seed} "
        f"distance_m={args.distance:g} calls={args.calls} (+{args.warmup} warm-up) "
        f"backends={','.join(backends)}"
    )
    print(
        f"machine: {machine['nproc']} cpus ({machine['cpu']}), load {machine['loadavg']}, "
        f"Python {machine['python']}, commit {machine['git']}"
    )
    results: dict[str, Any] = {"inputs": vars(args), "machine": machine, "backends": {}}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="assetmap-gaps-") as tmp:
        started = time.perf_counter()
        data = generate_csv(Path(tmp) / "assets.csv", args.n, args.seed)
        masks = read_themes(data.path)
        areas = generate_areas(args.areas, args.seed)
        print(
            f"generated {args.n:,} assets ({len(masks)} themes, "
            f"{min(int(m.sum()) for m in masks.values()):,}-"
            f"{max(int(m.sum()) for m in masks.values()):,} assets each) and "
            f"{len(areas.codes):,} areas in {time.perf_counter() - started:.1f} s"
        )
        for backend in backends:
            result, found = run_backend(backend, areas, data, masks, args)
            results["backends"][backend] = result
            problems += found
    results["machine"]["loadavg_end"] = report.machine()["loadavg"]
    results["problems"] = problems
    out = HERE / "results" / f"gaps-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {out.relative_to(HERE.parent)}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
