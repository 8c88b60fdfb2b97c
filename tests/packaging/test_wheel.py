"""The wheel is the one artefact: built as the image builds it, it works with no checkout.

The steps are the image's own (scripts/build-image-steps.sh, which every RUN line of the
Dockerfile calls): the front-end files from package-lock.json (they must equal the committed
copies), the wheel from a copy of the checkout without anything `make install` makes, the wheel
installed in a fresh venv. From a directory outside any checkout, that venv's `assetmap`
migrates a new SpatiaLite file, loads the demo and serves every kind of page, and Chromium sees
the maps work. The dependencies come from this venv (a .pth line), at the versions
constraints.txt pins, so no download is needed; assetmap itself comes only from the wheel.

One test, so that the wheel is built once per session whichever xdist worker runs it.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PROJECT_DIR
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

STEPS = PROJECT_DIR / "scripts" / "build-image-steps.sh"
VENDORED = Path("app") / "web" / "static" / "vendor"
# A clean checkout: no .venv, node_modules, vendored files, compiled catalogues or databases.
NOT_IN_A_CHECKOUT = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "vendor",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.py[cod]",
    ".*_cache",
    ".hypothesis",
    "*.mo",
    "*.sqlite*",
    "*.jsonl",
    "tests",
    "bench",
)
PAGES = [
    "/",
    "/cy/",
    "/planner",
    "/suggest",
    "/sign-in",
    "/static/vendor/leaflet/leaflet.js",
    "/ogc",
    "/openreferral/",
]
TILE_HOST = "tile.openstreetmap.org"
TILE = (PROJECT_DIR / VENDORED / "leaflet" / "images" / "layers.png").read_bytes()


def run(*command: str | Path, **options: object) -> str:
    """Run a command; its output, or a failure that shows it."""
    done = subprocess.run(
        [str(c) for c in command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **options,  # type: ignore[call-overload]
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return str(done.stdout)


def same_files(a: Path, b: Path) -> list[str]:
    """The relative paths that differ between two trees (missing on either side or unequal)."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    differ = files_a ^ files_b
    differ |= {p for p in files_a & files_b if (a / p).read_bytes() != (b / p).read_bytes()}
    return sorted(map(str, differ))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def serving(assetmap: Path, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """`assetmap serve` on a free 127.0.0.1 port until exit; its base URL."""
    port = free_port()
    log = cwd / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(assetmap), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"assetmap serve stopped:\n{log.read_text()}"
            try:
                if get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer in 60 s:\n{log.read_text()}"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class MapSeen:
    """What Chromium saw on a page with a map."""

    tiles: int
    markers: int
    shapes: int
    errors: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)


def see_maps(base: str) -> dict[str, MapSeen]:
    """In Debian's Chromium: search for the demo town from /, and open /planner; what each
    page's map shows.

    Tiles come from the default basemap's host, answered here with a small PNG (no network);
    any other request off the server is refused and recorded. Runs in its own thread: another
    test's Playwright may be running in this one (the session's `browser` fixture)."""
    from playwright.sync_api import Page, Route, sync_playwright

    def search_from_home(page: Page) -> None:
        page.goto(base + "/", wait_until="load")
        page.fill("#q", "Aberllyn")
        with page.expect_navigation(wait_until="load"):
            page.press("#q", "Enter")

    def planner(page: Page) -> None:
        page.goto(base + "/planner", wait_until="load")

    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for journey in (search_from_home, planner):
                context = browser.new_context()
                errors: list[str] = []
                elsewhere: list[str] = []

                def route(route: Route, elsewhere: list[str] = elsewhere) -> None:
                    url = route.request.url
                    if url.startswith((base + "/", "data:", "about:")):
                        route.continue_()
                    elif urlsplit(url).hostname == TILE_HOST:
                        route.fulfill(status=200, content_type="image/png", body=TILE)
                    else:
                        elsewhere.append(url)
                        route.abort()

                context.route("**/*", route)
                page = context.new_page()
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on(
                    "console",
                    lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
                )
                journey(page)
                page.wait_for_selector(".leaflet-container .leaflet-tile-loaded", timeout=20_000)
                page.wait_for_function(
                    "() => document.querySelectorAll('.leaflet-marker-icon,"
                    " .leaflet-overlay-pane path').length > 0",
                    timeout=20_000,
                )
                seen[urlsplit(page.url).path] = MapSeen(
                    tiles=page.locator(".leaflet-tile-loaded").count(),
                    markers=page.locator(".leaflet-marker-icon").count(),
                    shapes=page.locator(".leaflet-overlay-pane path").count(),
                    errors=errors,
                    elsewhere=elsewhere,
                )
                context.close()
        finally:
            browser.close()
    return seen


def test_the_wheel_alone_migrates_loads_the_demo_and_serves_every_page(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(PROJECT_DIR, src, ignore=NOT_IN_A_CHECKOUT)

    # The image's web step: the front-end files from the lock, as committed.
    run(STEPS, "web", src)
    assert same_files(src / VENDORED, PROJECT_DIR / VENDORED) == [], (
        "the committed front-end files differ from package-lock.json's: run `make vendor`"
    )
    shutil.rmtree(src / "node_modules")

    # What a checkout's data/ collects while it runs, which must never ship.
    (src / "data" / "assetmap.sqlite").write_bytes(b"people's records")
    (src / "data" / "erasures-host-db.jsonl").write_text("{}\n")

    # The wheel step, then the install step into a fresh venv (no source tree on its path).
    run(STEPS, "wheel", src, work / "dist")
    (wheel,) = (work / "dist").glob("assetmap-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "app/i18n/cy/LC_MESSAGES/messages.mo",
        "app/shipped/migrations/env.py",
        "app/shipped/data/themes.csv",
        "app/web/static/vendor/leaflet/leaflet.js",
    } <= names
    assert not [n for n in names if n.endswith((".sqlite", ".jsonl"))]
    venv = work / "venv"
    # Without its own pip (seconds saved): this venv's pip installs into it (PIP_PYTHON).
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    pip_env = {**os.environ, "PYTHON": sys.executable, "PIP_PYTHON": str(python)}
    run(STEPS, "install", wheel, "--no-deps", env=pip_env)
    shutil.rmtree(src)
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(purelib.strip()) / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"])

    home = work / "elsewhere"
    (home / "data").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETMAP_", "PYTHON"))}
    env |= {
        "ASSETMAP_DATABASE_URL": f"sqlite:///{home / 'data' / 'assetmap.sqlite'}",
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
    }
    found = run(python, "-c", "import app; print(app.__file__)", cwd=home, env=env).strip()
    assert Path(found).is_relative_to(venv), found

    # The README's run commands.
    assetmap = venv / "bin" / "assetmap"
    run(assetmap, "db", "upgrade", cwd=home, env=env)
    assert "75 created" in run(assetmap, "demo", cwd=home, env=env)

    with serving(assetmap, home, env) as base:
        status, body = get(base + "/api/v1/assets?limit=1")
        assert status == 200, body[:500]
        asset_id = json.loads(body)["items"][0]["id"]
        for path in [*PAGES, f"/assets/{asset_id}"]:
            status, body = get(base + path)
            assert status == 200, f"{path}: {status} {body[:300]!r}"
        # Translated from the compiled catalogue, not falling back to the English text.
        assert b"prif gynnwys" in get(base + "/cy/")[1]  # "Skip to main content"

        with ThreadPoolExecutor(1) as thread:
            seen = thread.submit(see_maps, base).result()
    assert sorted(seen) == ["/planner", "/search"], seen
    for path, map_seen in seen.items():
        assert map_seen.tiles > 0 and map_seen.markers + map_seen.shapes > 0, (path, map_seen)
        assert map_seen.errors == [] and map_seen.elsewhere == [], (path, map_seen)
