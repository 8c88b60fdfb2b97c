#!/usr/bin/env python3
"""Take the README's screenshot of the planner map (docs/planner-map.png), from real data.

    .venv/bin/python scripts/screenshot.py [--area-dir ../shared/data/cardiff] [--out FILE]

Loads the area folder into a throwaway SpatiaLite file (`assetmap demo --area-dir`), serves it
on a free local port, opens /planner in Debian's headless Chromium and saves a PNG. The basemap
is the settings' (OpenStreetMap by default); on a machine with no internet, ASSETMAP_BASEMAP=none
shows the area outlines and names alone.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ASSETMAP = Path(sys.executable).parent / "assetmap"
PLANNER = "/planner?indicator=wimd2019_overall_rank&theme=health_wellbeing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--area-dir", type=Path, default=ROOT.parent / "shared/data/cardiff")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "planner-map.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ASSETMAP_DATABASE_URL": f"sqlite:///{tmp}/shot.sqlite"}
        subprocess.run([ASSETMAP, "db", "upgrade"], env=env, check=True)
        subprocess.run([ASSETMAP, "demo", "--area-dir", str(args.area_dir)], env=env, check=True)
        port = free_port()
        server = subprocess.Popen([ASSETMAP, "serve", "--port", str(port)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(base + PLANNER, wait_until="networkidle")
                # The theme's assets are on by default: wait for them, then take the top of
                # the page (map beside the answer: counts, coverage, priority areas).
                page.wait_for_selector(".live-cluster, .leaflet-marker-icon[alt]", timeout=10000)
                page.wait_for_load_state("networkidle")
                page.locator(".planner-top").screenshot(path=str(args.out))
                browser.close()
        finally:
            server.terminate()
            server.wait()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
