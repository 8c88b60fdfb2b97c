"""tipg (developmentseed's OGC Features server) over the same PostGIS table, for comparison.

It lives in its own virtualenv (bench/.venv-tipg, git-ignored) so its pins never touch ours.
"""

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from measure import free_port, server

VENV = Path(__file__).resolve().parent / ".venv-tipg"
UVICORN = VENV / "bin" / "uvicorn"


def ensure_installed() -> str:
    """Install tipg into its own venv if missing; its version (raises with pip's reason)."""
    if not UVICORN.exists():
        print(f"  installing tipg into {VENV} (pip) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        done = subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError("pip install tipg failed: " + done.stderr.strip()[-500:])
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", "import tipg; print(tipg.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@contextmanager
def tipg_server(app_url: str) -> Iterator[str]:
    """tipg serving the assets table of the app's PostGIS database; yields its base URL."""
    # tipg (asyncpg) wants a plain postgresql:// URL, without SQLAlchemy's +psycopg driver.
    url = make_url(app_url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.assets"]',
        "TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS": '["public"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
    }
    port = free_port()
    command = [str(UVICORN), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    # An empty working directory: tipg reads a `.env` file from there.
    with (
        tempfile.TemporaryDirectory() as cwd,
        server(command, env, port, "/healthz", Path(cwd)) as base,
    ):
        yield base


def items_url(base: str, bbox: str, limit: int) -> str:
    """tipg's items request for the bbox query, on our point column."""
    return f"{base}/collections/public.assets/items?bbox={bbox}&limit={limit}&geom-column=location"
