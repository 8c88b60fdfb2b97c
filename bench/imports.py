"""Import speed: `assetmap import assets` end to end beside `ogr2ogr` and a plain COPY of the
same CSV into the same database, in the same run, with the load average beside every figure.

    .venv/bin/python bench/imports.py [--n 20000] [--backends postgis,spatialite] [--seed 42]

The CSV is bench/generate.py's (the import format). Each backend gets a fresh, migrated
database (PostGIS: `--pg-database`, dropped and re-created; SpatiaLite: a temporary file).
`assetmap import assets` is timed as a whole process (start-up included, printed apart); the
peers load the same file into a table of their own in the same database: `ogr2ogr` (GDAL's
COPY into PostGIS, its SQLite driver into SpatiaLite, points made from lon/lat, spatial index
built) and, on PostGIS, a plain `COPY ... FROM STDIN (FORMAT csv)` into a table of text
columns (no validation, no geometry: the disk-speed floor).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from app.schemas.tabular import CSV_COLUMNS

import databases
from generate import generate_csv

TARGETS = {"postgis": 20_000, "spatialite": 10_000}


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>9,.0f} rows/s ({seconds:6.2f} s, {_load()})"


def _ogr2ogr(target: databases.Target, csv_path: Path) -> float:
    """ogr2ogr of the CSV into table ogr_assets of the target's database; wall seconds."""
    points = ["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-a_srs", "EPSG:4326"]
    if target.backend == "postgis":
        url = make_url(target.url)
        dsn = f"PG:host={url.host} port={url.port} dbname={url.database} user={url.username}" + (
            f" password={url.password}" if url.password else ""
        )
        command = ["ogr2ogr", "-f", "PostgreSQL", dsn, str(csv_path), "-nln", "ogr_assets"]
    else:
        path = make_url(target.url).database
        command = ["ogr2ogr", "-update", "-f", "SQLite", str(path), str(csv_path)]
        command += ["-nln", "ogr_assets", "-gt", "65536"]
    started = time.perf_counter()
    subprocess.run([*command, *points], check=True, capture_output=True)
    return time.perf_counter() - started


def _copy(target: databases.Target, csv_path: Path) -> float:
    """A plain COPY of the CSV into a table of text columns (PostGIS); wall seconds."""
    url = make_url(target.url).set(drivername="postgresql")
    columns = ", ".join(f'"{name}" text' for name in CSV_COLUMNS)
    started = time.perf_counter()
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        connection.execute(f"CREATE TABLE copy_assets ({columns})")
        sql = "COPY copy_assets FROM STDIN (FORMAT csv, HEADER true)"
        with connection.cursor().copy(sql) as copy, csv_path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    return time.perf_counter() - started


def main() -> None:
    """Generate, then time the import CLI and its peers on each backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--pg-database", default="bench_imports")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "assets.csv"
        generate_csv(csv_path, args.n, args.seed)
        size = csv_path.stat().st_size / 1e6
        startup = databases.cli_startup_seconds()
        print(
            f"{args.n:,} assets, {size:.1f} MB CSV; CLI start-up (assetmap --help): "
            f"{startup:.2f} s; {_load()}"
        )
        for backend in args.backends.split(","):
            target = databases.fresh_target(backend, workdir=workdir, pg_database=args.pg_database)
            try:
                seconds = databases.load_with_cli(target, csv_path)
                stored = databases.row_count(target)
                if stored != args.n:
                    print(f"{backend}: {stored} assets stored, expected {args.n}")
                    failed = True
                verdict = "PASS" if args.n / seconds >= TARGETS[backend] else "MISS"
                print(
                    f"{backend:10} assetmap import  {_rate(args.n, seconds)}  "
                    f"{verdict} (target {TARGETS[backend]:,}); less start-up "
                    f"{args.n / max(seconds - startup, 1e-3):,.0f} rows/s"
                )
                ogr = _ogr2ogr(target, csv_path)
                print(
                    f"{backend:10} ogr2ogr          {_rate(args.n, ogr)}  "
                    f"ours {seconds / ogr:.1f}x its time"
                )
                if backend == "postgis":
                    copy = _copy(target, csv_path)
                    print(
                        f"{backend:10} plain COPY       {_rate(args.n, copy)}  "
                        f"ours {seconds / copy:.1f}x its time"
                    )
            finally:
                databases.drop(target)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
