"""Near-me at two sizes: how much its p50 grows from the smaller table to the larger.

    .venv/bin/python bench/near_scale.py bench/results/<100k>.json bench/results/<1M>.json

Reads two results files of bench/run.py (same backends, different --n) and prints, per backend,
the near-me p50 (ours and the in-database floor) at each size and the growth; issue 17's target
is p50 at 1M <= 1.3x p50 at 100k.
"""

import json
import sys
from pathlib import Path

NEAR_CASE = "near 1 km (limit=50)"
GROWTH_TARGET = 1.3


def main() -> int:
    """Print the growth of near-me p50 between two results files."""
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    small, large = (json.loads(Path(p).read_text()) for p in sys.argv[1:])
    n_small, n_large = small["inputs"]["n"], large["inputs"]["n"]
    print(f"near-me p50 from N={n_small:,} to N={n_large:,}")
    for backend, result in large["backends"].items():
        before = small["backends"].get(backend)
        if before is None:
            continue
        for lane in ("http", "sql_floor", "floor"):
            a = before["cases"][NEAR_CASE].get(lane)
            b = result["cases"][NEAR_CASE].get(lane)
            if not (a and b):
                continue
            growth = b["p50_ms"] / a["p50_ms"]
            verdict = ("PASS" if growth <= GROWTH_TARGET else "MISS") if lane == "http" else ""
            print(
                f"  {backend:<10} {lane:<9} {a['p50_ms']:8.2f} -> {b['p50_ms']:8.2f} ms  "
                f"{growth:.2f}x {verdict}"
            )
    loads = small["machine"]["loadavg"], large["machine"]["loadavg"]
    print(f"  load averages at the two runs' starts: {loads[0]} / {loads[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
