"""Map pages at national scale: N published assets (default 100k; the target is 1M) over
Cardiff, and a planner of all of Wales (--areas, default 1,909 LSOA-like areas).

    .venv/bin/python bench/map_page.py [--n 100000] [--areas 1909] [--backends spatialite,postgis]

Builds a database of N published assets spread over the Cardiff LSOAs (real boundaries from
../shared/data/cardiff, each LSOA an equal share) and --areas synthetic small areas tiling a
Wales-sized extent with a need rank each (bench/gap_data.py, as the gap benchmark), starts the
app (uvicorn, one worker), and measures for /embed and /planner?level=lsoa: the first page's
HTML bytes (target <= 300 KB), the bytes a cold load transfers, and the time in headless Debian
Chromium from navigation to usable (/embed: the live layer's first clusters drawn,
`.folium-map[data-loaded=true]`; the planner: its area tiles drawn,
`.folium-map[data-areas-loaded=true]`), p50/p95 over --loads cold loads (target <= 1.5 s);
then GET /api/v1/map/assets p50/p95 at zooms 9, 12 and 15, and /tiles/{areas,assets}/z/x/y.mvt
made (distinct tiles: the first time each is asked) and revalidated (If-None-Match: 304).
The machine's load average is printed beside every figure. Beside them, the same-run floor: a
naive folium page of the same points (one Marker each in a MarkerCluster), its HTML size, and
its render time when it renders within --naive-timeout-s (else it says so).
Writes bench/results/map-page-<timestamp>.json. A missed target prints MISS; wrong answers
(clusters not summing to the assets in view) exit 1.
"""

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import folium
import httpx
import numpy as np
import shapely
from folium.plugins import MarkerCluster
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session

from app.maps.base import VENDOR
from app.models import Asset
from app.models.base import utcnow
from app.spatial import backend_for
from app.spatial.geometry import point_element

import databases
import gap_data
import report
from measure import Timing, free_port, server

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CARDIFF = ROOT.parent / "shared" / "data" / "cardiff"
STATIC = ROOT / "app" / "web" / "static"
CHROMIUM = "/usr/bin/chromium"
# As tests/web/browser.py: without the background-networking flags Chromium calls Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1024, "height": 768}
PAGES = ("/embed", "/planner?level=lsoa")
ZOOMS = (9, 12, 15)
HTML_TARGET = 300_000  # bytes, issues 5 and 17
USABLE_TARGET_MS = 1500.0  # issues 5 and 17
# Tiles timed: (layer, zoom) around the middle of the data; areas over the Wales extent.
TILE_CASES = (("areas", 7), ("areas", 10), ("areas", 13), ("assets", 9), ("assets", 12),
              ("assets", 15))  # fmt: skip
KINDS = ("group", "space", "organisation", "service", "business", "culture")
# Records the moment (ms since navigation) the map marks itself usable (the selector asked for):
# the live layer's first draw (data-loaded) or the area tiles' (data-areas-loaded).
LOADED_PROBE = """
const usable = %s;
new MutationObserver((changes, observer) => {
  if (document.querySelector(usable)) {
    window.__usableAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true,
                      attributeFilter: ['data-loaded', 'data-areas-loaded']});
"""
LIVE_DRAWN = ".folium-map[data-loaded=true]"
AREAS_DRAWN = ".folium-map[data-areas-loaded=true]"


def load_average() -> str:
    """The machine's 1-minute load average, to print beside a figure."""
    return f"load {os.getloadavg()[0]:.1f}"


def cardiff_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points inside the Cardiff LSOAs, each LSOA holding an equal share (denser in town)."""
    path = CARDIFF / "lsoa11_boundaries.geojson"
    if not path.exists():
        raise SystemExit(f"{path} is missing: the bench needs ../shared/data/cardiff")
    features = json.loads(path.read_text())["features"]
    polygons = [shapely.geometry.shape(f["geometry"]) for f in features]
    rng = np.random.default_rng(seed)
    share = np.full(len(polygons), n // len(polygons))
    share[: n - int(share.sum())] += 1
    lons, lats = [], []
    for polygon, count in zip(polygons, share, strict=True):
        minx, miny, maxx, maxy = polygon.bounds
        got: list[np.ndarray] = []
        left = int(count)
        while left > 0:
            x = rng.uniform(minx, maxx, left * 3)
            y = rng.uniform(miny, maxy, left * 3)
            inside = shapely.contains_xy(polygon, x, y)
            got.append(np.column_stack([x[inside], y[inside]])[:left])
            left -= len(got[-1])
        points = np.concatenate(got)
        lons.append(points[:, 0])
        lats.append(points[:, 1])
    return np.concatenate(lons), np.concatenate(lats)


def load(target: databases.Target, lons: np.ndarray, lats: np.ndarray, seed: int) -> float:
    """Insert the assets (published, public kinds, bilingual names) by the backend's bulk
    insert; wall seconds."""
    rng = np.random.default_rng(seed + 1)
    kinds = rng.choice(KINDS, len(lons))
    now = utcnow()
    rows = [
        {
            "id": i + 1,
            "kind": str(kinds[i]),
            "name_en": f"Community place {i + 1}",
            "name_cy": f"Lle cymunedol {i + 1}",
            "search_text": f"community place {i + 1} lle cymunedol {i + 1}",
            "location": point_element(float(lons[i]), float(lats[i])),
            "opening_hours": [],
            "accessibility": [],
            "languages": [],
            "status": "published",
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "source": "bench",
        }
        for i in range(len(lons))
    ]
    started = time.perf_counter()
    backend = backend_for(target.engine.dialect.name)
    table = Asset.__table__
    with target.engine.begin() as connection:
        backend.bulk_insert(connection, table, rows)  # type: ignore[arg-type]
        if target.backend == "postgis":  # ids were given: move the sequence past them
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('assets', 'id'), max(id)) FROM assets"
            )
    databases.analyze(target)
    return time.perf_counter() - started


def view_bbox(lon: float, lat: float, zoom: int) -> str:
    """The bbox a VIEWPORT-sized Web Mercator map centred on lon/lat shows at this zoom."""
    degrees_per_px = 360.0 / (256 * 2**zoom)
    half_w = VIEWPORT["width"] / 2 * degrees_per_px
    half_h = VIEWPORT["height"] / 2 * degrees_per_px * math.cos(math.radians(lat))
    return f"{lon - half_w:.6f},{lat - half_h:.6f},{lon + half_w:.6f},{lat + half_h:.6f}"


def time_api(
    client: httpx.Client, base: str, centre: tuple[float, float], requests: int
) -> tuple[dict[str, Timing], list[str]]:
    """GET /api/v1/map/assets at each zoom, centred near Cardiff's middle (shifted a little
    each request); checks that cluster counts sum to `total`."""
    rng = np.random.default_rng(7)
    timings: dict[str, Timing] = {}
    problems: list[str] = []
    for zoom in ZOOMS:
        samples = []
        shift = 0.3 * 360.0 / 2**zoom  # about a third of a screen
        for i in range(requests + 3):
            lon = centre[0] + rng.uniform(-shift, shift)
            lat = centre[1] + rng.uniform(-shift / 2, shift / 2)
            url = f"{base}/api/v1/map/assets?bbox={view_bbox(lon, lat, zoom)}&zoom={zoom}"
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            body = response.json()
            counted = sum(f["properties"].get("count", 1) for f in body["features"])
            if not body["truncated"] and counted != body["total"]:
                problems.append(f"zoom {zoom}: cluster counts do not sum to total")
            if i >= 3:  # warm-up
                samples.append(elapsed)
        timings[f"zoom {zoom}"] = Timing(samples)
        print(
            f"    /api/v1/map/assets zoom {zoom:>2}: p50 {timings[f'zoom {zoom}'].p50:7.1f} ms"
            f"  p95 {timings[f'zoom {zoom}'].p95:7.1f} ms  ({body['mode']}, "
            f"{len(body['features'])} features for {body['total']:,} assets, "
            f"{len(response.content):,} B)  [{load_average()}]"
        )
    return timings, problems


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The x/y of the tile holding lon/lat at zoom z."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def time_tiles(
    client: httpx.Client, base: str, centres: dict[str, tuple[float, float]], requests: int
) -> dict[str, Any]:
    """For each TILE_CASES (layer, zoom): `requests` distinct tiles around the layer's centre,
    each made once (timed: the first time it is asked), then revalidated with its ETag (304)."""
    results: dict[str, Any] = {}
    for layer, z in TILE_CASES:
        cx, cy = tile_of(*centres[layer], z)
        side = max(1, math.ceil(math.sqrt(requests)))
        tiles = [(cx + i - side // 2, cy + j - side // 2) for i in range(side) for j in range(side)]
        made, revalidated, sizes = [], [], []
        for x, y in tiles[:requests]:
            url = f"{base}/tiles/{layer}/{z}/{x}/{y}.mvt"
            started = time.perf_counter()
            response = client.get(url)
            made.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            sizes.append(len(response.content))
            started = time.perf_counter()
            again = client.get(url, headers={"If-None-Match": response.headers["etag"]})
            revalidated.append((time.perf_counter() - started) * 1000)
            if again.status_code != 304:
                raise SystemExit(f"{url}: revalidation answered {again.status_code}, not 304")
        name = f"{layer} z{z}"
        results[name] = {
            "made": Timing(made).as_dict(),
            "revalidated": Timing(revalidated).as_dict(),
            "bytes_median": int(np.median(sizes)),
            "bytes_max": max(sizes),
        }
        print(
            f"    /tiles/{layer} z{z:>2}: made p50 {Timing(made).p50:7.1f} ms "
            f"p95 {Timing(made).p95:7.1f} ms; 304 p50 {Timing(revalidated).p50:6.1f} ms; "
            f"{int(np.median(sizes)):,} B median, {max(sizes):,} B max, {len(made)} tiles  "
            f"[{load_average()}]"
        )
    return results


def browser_loads(browser: Browser, url: str, loads: int, usable: str | None) -> dict[str, Any]:
    """Cold loads (a fresh context each) of a page: bytes transferred and ms to usable (the
    `usable` selector matches: the live layer's or the area tiles' first draw) or, for a page
    without either, to the load event."""
    times, transferred, elsewhere, first_byte = [], [], [], []
    local = url.split("/")[2]
    by_path: dict[str, int] = {}
    for _ in range(loads):
        context = browser.new_context(viewport=VIEWPORT)
        sizes: list[int] = []

        def finished(request: Any, into: list[int] = sizes) -> None:
            measured = request.sizes()
            size = measured["responseBodySize"] + measured["responseHeadersSize"]
            into.append(size)
            if not transferred:  # the first load: where its bytes come from
                path = request.url.split("/", 3)[-1].split("?")[0]
                key = "/" + "/".join(path.split("/")[:2])
                by_path[key] = by_path.get(key, 0) + size

        def guard(route: Any) -> None:
            if route.request.url.split("/")[2] == local or route.request.url.startswith("data:"):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.on("requestfinished", finished)
        page.add_init_script(LOADED_PROBE % json.dumps(usable or LIVE_DRAWN))
        page.goto(url, wait_until="load")
        if usable:
            page.wait_for_selector(usable, state="attached")
            times.append(float(page.evaluate("window.__usableAt")))
        else:
            times.append(float(page.evaluate("performance.getEntriesByType('navigation')[0]"
                                             ".loadEventEnd")))  # fmt: skip
        first_byte.append(
            float(page.evaluate("performance.getEntriesByType('navigation')[0].responseStart"))
        )
        page.wait_for_load_state("networkidle")
        transferred.append(sum(sizes))
        context.close()
    return {
        "ms": Timing(times),
        "first_byte_ms": Timing(first_byte),
        "bytes": int(np.median(transferred)),
        "bytes_by_path": dict(sorted(by_path.items(), key=lambda kv: -kv[1])),
        "off_server": elsewhere,
    }


class _LocalMap(folium.Map):
    """folium's Map with only Leaflet, from this server (the app's maps no longer use folium)."""

    default_js: ClassVar[list[tuple[str, str]]] = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
    default_css: ClassVar[list[tuple[str, str]]] = [
        ("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")
    ]


class _LocalCluster(MarkerCluster):
    """folium's MarkerCluster with leaflet.markercluster from this server."""

    default_js: ClassVar[list[tuple[str, str]]] = [
        ("markerclusterjs", f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js")
    ]
    default_css: ClassVar[list[tuple[str, str]]] = [
        ("markerclustercss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css"),
    ]


def naive_floor(
    browser: Browser, lons: np.ndarray, lats: np.ndarray, workdir: Path, timeout_s: float
) -> dict[str, Any]:
    """The naive page: one folium Marker per asset in a MarkerCluster (Leaflet and the plugin
    served locally, as the app does); its HTML bytes, and its render time if within timeout."""
    started = time.perf_counter()
    m = _LocalMap(tiles=None)
    m.fit_bounds([[lats.min(), lons.min()], [lats.max(), lons.max()]])
    cluster = _LocalCluster().add_to(m)
    for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
        folium.Marker([lat, lon]).add_to(cluster)
    page_path = workdir / "naive.html"
    m.save(str(page_path))
    build_s = time.perf_counter() - started
    size = page_path.stat().st_size
    print(f"    naive folium MarkerCluster: {size:,} B of HTML (built in {build_s:.1f} s)")
    (workdir / "static").symlink_to(STATIC)
    port = free_port()
    handler = partial(SimpleHTTPRequestHandler, directory=str(workdir))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    result: dict[str, Any] = {"html_bytes": size, "build_s": round(build_s, 1)}
    context = browser.new_context(viewport=VIEWPORT)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(f"http://127.0.0.1:{port}/")
            else route.abort()
        ),
    )
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    started = time.perf_counter()
    try:
        page.goto(f"http://127.0.0.1:{port}/naive.html", wait_until="load")
        page.wait_for_selector(".marker-cluster")
        result["render_s"] = round(time.perf_counter() - started, 1)
        print(f"    naive page usable in Chromium after {result['render_s']} s")
    except Exception as error:
        result["render_s"] = None
        result["render_note"] = f"not usable within {timeout_s:g} s ({type(error).__name__})"
        print(f"    naive page: skipped rendering, {result['render_note']}")
    finally:
        context.close()
        httpd.shutdown()
    return result


def run_backend(
    backend: str,
    lons: np.ndarray,
    lats: np.ndarray,
    areas: "gap_data.Areas | None",
    browser: Browser,
    args: argparse.Namespace,
    workdir: Path,
) -> tuple[dict[str, Any], list[str]]:
    """Load, serve and measure one backend."""
    print(f"\n{backend}:")
    target = databases.fresh_target(backend, workdir=workdir, pg_database=args.pg_database)
    seconds = load(target, lons, lats, args.seed)
    print(f"  loaded {databases.row_count(target):,} assets in {seconds:.1f} s")
    result: dict[str, Any] = {"load_s": round(seconds, 1), "pages": {}}
    if areas is not None:
        with Session(target.engine) as session:
            loaded = gap_data.load_areas(session, areas)
        print(f"  loaded {args.areas:,} areas with a need rank in {loaded['with_indicator_s']} s")
    problems: list[str] = []
    port = free_port()
    command = [str(databases.BIN / "uvicorn"), "app.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--log-level", "warning", "--no-access-log"]
    # Without the response cache: every load and request is timed as made, not as kept.
    env = target.env() | {"ASSETMAP_RESPONSE_CACHE_MB": "0"}
    with server(command, env, port, "/healthz") as base, httpx.Client() as client:
        for path in PAGES:
            response = client.get(base + path)
            if response.status_code != 200:
                print(f"  {path}: {response.status_code}, not measured")
                continue
            html_bytes = len(response.content)
            usable = (
                AREAS_DRAWN
                if '"areaTiles"' in response.text
                else LIVE_DRAWN
                if '"live"' in response.text
                else None
            )
            loads = browser_loads(browser, base + path, args.loads, usable)
            timing: Timing = loads["ms"]
            print(
                f"  {path}: HTML {html_bytes:,} B {_verdict(html_bytes <= HTML_TARGET)} "
                f"(<= {HTML_TARGET:,}); transferred {loads['bytes']:,} B; "
                f"{'usable' if usable else 'load event'} p50 {timing.p50:.0f} ms "
                f"p95 {timing.p95:.0f} ms {_verdict(timing.p95 <= USABLE_TARGET_MS)} "
                f"(<= {USABLE_TARGET_MS:g} ms), {len(timing)} cold loads  [{load_average()}]"
            )
            heaviest = ", ".join(
                f"{k} {v:,} B" for k, v in list(loads["bytes_by_path"].items())[:5]
            )
            print(
                f"    HTML first byte p50 {loads['first_byte_ms'].p50:.0f} ms; "
                f"first load's bytes by path: {heaviest}"
            )
            if loads["off_server"]:
                problems.append(f"{path}: requests left the server: {loads['off_server'][:3]}")
            result["pages"][path] = {
                "html_bytes": html_bytes,
                "transferred_bytes": loads["bytes"],
                "measured_to": "usable" if usable else "load event",
                "first_byte": loads["first_byte_ms"].as_dict(),
                "bytes_by_path": loads["bytes_by_path"],
                **timing.as_dict(),
            }
        centre = (float(np.median(lons)), float(np.median(lats)))
        timings, found = time_api(client, base, centre, args.requests)
        problems += [f"{backend}: {p}" for p in found]
        result["api"] = {name: t.as_dict() for name, t in timings.items()}
        wales = ((gap_data.EXTENT[0] + gap_data.EXTENT[2]) / 2, 52.1)
        centres = {"areas": wales, "assets": centre}
        result["tiles"] = time_tiles(client, base, centres, args.requests)
    databases.drop(target)
    return result, problems


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="assets (default 100k)")
    parser.add_argument(
        "--areas", type=int, default=1909, help="synthetic small areas (default all-Wales 1,909)"
    )
    parser.add_argument("--backends", default="spatialite", help="spatialite,postgis")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--loads", type=int, default=10, help="cold browser loads per page")
    parser.add_argument("--requests", type=int, default=30, help="timed API requests per zoom")
    parser.add_argument("--naive-timeout-s", type=float, default=60.0)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive folium floor")
    parser.add_argument(
        "--pg-database",
        default="bench_map",
        help="PostGIS database to drop and re-create (name must start with `bench`)",
    )
    return parser.parse_args()


def main() -> int:
    """Parse arguments, generate the points, measure each backend and the naive floor."""
    args = _arguments()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    machine = report.machine()
    print(
        f"assetmap map-page bench: N={args.n:,} seed={args.seed} loads={args.loads} "
        f"requests={args.requests} viewport={VIEWPORT['width']}x{VIEWPORT['height']} "
        f"backends={','.join(backends)}"
    )
    print(
        f"machine: {machine['nproc']} cpus ({machine['cpu']}), load {machine['loadavg']}, "
        f"Python {machine['python']}, commit {machine['git']}"
    )
    lons, lats = cardiff_points(args.n, args.seed)
    areas = gap_data.generate_areas(args.areas, args.seed) if args.areas else None
    print(
        f"generated {len(lons):,} points in the Cardiff LSOAs "
        f"({lons.min():.3f},{lats.min():.3f},{lons.max():.3f},{lats.max():.3f})"
    )
    results: dict[str, Any] = {"inputs": vars(args), "machine": machine, "backends": {}}
    problems: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="assetmap-map-") as tmp,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for backend in backends:
            result, found = run_backend(backend, lons, lats, areas, browser, args, Path(tmp))
            results["backends"][backend] = result
            problems += found
        if not args.no_naive:
            print("\nfloor (same points):")
            naive_dir = Path(tmp) / "naive"
            naive_dir.mkdir()
            results["naive"] = naive_floor(browser, lons, lats, naive_dir, args.naive_timeout_s)
            shutil.rmtree(naive_dir, ignore_errors=True)
        browser.close()
    results["machine"]["loadavg_end"] = report.machine()["loadavg"]
    results["problems"] = problems
    out = HERE / "results" / f"map-page-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {out.relative_to(ROOT)}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
