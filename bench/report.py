"""Printing the results table and describing the machine."""

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from cases import SPATIAL_INDEX
from measure import Timing

IMPORT_TARGET = {"postgis": 20_000, "spatialite": 10_000}  # rows/s
RATIO_TARGET = 3.0  # bbox and near-me p50 <= 3x the floor p50
DEEP_TARGET = 2.0  # deep page p50 <= 2x the first page p50
BBOX_CASE = "bbox ~1k (limit=1000)"
FIRST_CASE = "first page (limit=50)"
NEAR_CASE = "near 1 km (limit=50)"
SQL_FLOOR_TARGET = 1.2  # issue 17: bbox and near-me p50 <= 1.2x the in-database floor


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _cells(t: Timing | None) -> str:
    return f"{t.p50:8.2f} {t.p95:8.2f}" if t else f"{'-':>8} {'-':>8}"


def _row(name: str, http: Timing | None, floor: Timing | None, ratio: str, target: str) -> str:
    return f"  {name:<30} {_cells(http)}  {_cells(floor)}  {ratio:>6}  {target}"


def _ratio_target(value: float, limit: float, what: str) -> tuple[str, str]:
    return f"{value:.1f}x", f"{_verdict(value <= limit)} (<= {limit:g}x {what})"


def print_backend(backend: str, n: int, result: dict[str, Any]) -> None:
    """The backend's table: p50/p95 in ms beside the floor, ratios, targets."""
    cases = result["cases"]
    box = result["bbox"]
    print(f"  bbox {box['bbox']} holds {box['features_in_bbox']:,} of {n:,} assets")
    print(f"  {'case (ms)':<30} {'p50':>8} {'p95':>8}  {'floor50':>8} {'floor95':>8}  {'ratio':>6}")
    first = cases[FIRST_CASE]["http"]
    for name, t in cases.items():
        http, floor = t["http"], t["floor"]
        if name.startswith(("bbox", "near")):
            ratio, target = _ratio_target(http.p50 / floor.p50, RATIO_TARGET, "floor")
        elif name.startswith("page at"):
            ratio, target = _ratio_target(http.p50 / first.p50, DEEP_TARGET, "first page")
        else:
            ratio, target = f"{http.p50 / floor.p50:.1f}x", "(vs its floor; no target)"
        notes = f"  [{'; '.join(t['notes'])}]" if t.get("notes") else ""
        print(_row(name, http, floor, ratio, target) + notes)
    bbox = cases[BBOX_CASE]
    for lane, label in (("ogc", "  same bbox, OGC items"), ("tipg", "  same bbox, tipg items")):
        if lane in bbox:
            other = bbox[lane]
            ratio = f"{other.p50 / bbox['floor'].p50:.1f}x"
            versus = f"(vs floor; {other.p50 / bbox['http'].p50:.2f}x our bbox p50)"
            print(_row(label, other, bbox["floor"], ratio, versus))
    print(f"  {'in-database floor (ms)':<30} {'p50':>8} {'p95':>8}  {'ours/floor':>10}  target")
    for name, t in cases.items():
        if "sql_floor" in t:
            floor = t["sql_floor"]
            ratio = t["http"].p50 / floor.p50
            if name.startswith(("bbox", "near")):
                target = f"{_verdict(ratio <= SQL_FLOOR_TARGET)} (<= {SQL_FLOOR_TARGET:g}x)"
            else:
                target = "(no target)"
            print(f"  {name:<30} {_cells(floor)}  {ratio:>9.2f}x  {target}")
    near = cases.get(NEAR_CASE)
    if near:
        print(
            f"  near-me scale: N={n:,} p50 {near['http'].p50:.2f} ms, in-database floor "
            f"{near['sql_floor'].p50:.2f} ms (compare two sizes: bench/near_scale.py A.json B.json)"
            if "sql_floor" in near
            else f"  near-me scale: N={n:,} p50 {near['http'].p50:.2f} ms"
        )
    if "healthz" in cases[FIRST_CASE]:
        baseline = cases[FIRST_CASE]["healthz"]
        print(_row("  baseline: GET /healthz", baseline, None, "", "(HTTP + FastAPI + SELECT 1)"))
    imp = result["import"]
    goal = IMPORT_TARGET[backend]
    by_cli = imp["loader"].startswith("cli")
    verdict = _verdict(imp["rows_per_s"] >= goal) if by_cli else "n/a: not the import CLI"
    print(
        f"  import: {imp['rows_per_s']:,} rows/s ({imp['seconds']:.1f} s wall, {imp['loader']})"
        f"  {verdict} (>= {goal:,} rows/s)"
    )
    plans = ", ".join(
        f"{name}: {'index' if ok else 'NO INDEX'}"
        for name, ok in result["plans_use_spatial_index"].items()
    )
    print(f"  plans use {SPATIAL_INDEX}: {plans}")
    for note in result.get("notes", []):
        print(f"  note: {note}")


def jsonable(cases: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Timings as p50/p95/n summaries, for the results file."""
    return {
        name: {k: v.as_dict() if isinstance(v, Timing) else v for k, v in lanes.items()}
        for name, lanes in cases.items()
    }


def machine() -> dict[str, Any]:
    """CPU count and model, load, Python, OS, and the project's commit."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        lines = cpuinfo.read_text().splitlines()
        models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        cpu = models[0] if models else ""
    commit = subprocess.run(
        ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "loadavg": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": commit,
    }
