"""GeoPackage files through GDAL (pyogrio), always in a fresh child process.

GDAL's own SQLite and PROJ (bundled with pyogrio) and the system ones that mod_spatialite
loads do not mix in one process: once SpatiaLite is loaded, pyogrio's GeoPackage writer
crashes the interpreter (segfault; seen with pyogrio 0.13 / GDAL 3.12.4 / SpatiaLite 5.0.1).
A fresh `python -m app.services.imports.gpkg_files` child has loaded neither, so GDAL runs there.
"""

import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class GeoPackageError(ValueError):
    """GDAL could not read or write the GeoPackage (the message says why)."""


@dataclass
class Layer:
    """One layer read from a GeoPackage: field names, a value list per field, WKB geometries."""

    name: str
    fields: list[str]
    columns: list[list[Any]]
    geometries: list[bytes | None]


def write_points(
    path: Path,
    *,
    layer: str,
    geometries: list[bytes],
    columns: dict[str, list[Any]],
    integer_columns: tuple[str, ...],
    dataset_options: dict[str, str],
    last_change: datetime,
) -> None:
    """Write a point layer (EPSG:4326) with the given attribute columns to a new GeoPackage."""
    _in_child(
        _write,
        str(path),
        layer,
        geometries,
        columns,
        integer_columns,
        dataset_options,
        _gdal_time(last_change),
    )


def read_layer(path: Path, *, prefer: str) -> Layer:
    """The layer named `prefer`, or the only layer; GeoPackageError otherwise."""
    return _in_child(_read, str(path), prefer)


def _in_child(function: Callable[..., T], *args: Any) -> T:
    # A plain `python -m` child: multiprocessing's spawn would re-run the caller's main script.
    request = pickle.dumps((function.__name__, args), protocol=pickle.HIGHEST_PROTOCOL)
    done = subprocess.run(
        [sys.executable, "-m", "app.services.imports.gpkg_files"],
        input=request,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(
            f"GDAL child process failed (exit {done.returncode}): {' | '.join(tail)}"
        )
    ok, result = pickle.loads(done.stdout)
    if not ok:
        raise result
    return result


def _gdal_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---- run in the child process ------------------------------------------------------------------


def _write(
    path: str,
    layer: str,
    geometries: list[bytes],
    columns: dict[str, list[Any]],
    integer_columns: tuple[str, ...],
    dataset_options: dict[str, str],
    last_change: str,
) -> None:
    import numpy as np
    from pyogrio import set_gdal_config_options
    from pyogrio.raw import write

    # GDAL stamps the file with the time of writing unless told the time: the data's own last
    # change keeps two exports of the same assets byte-identical.
    set_gdal_config_options({"OGR_CURRENT_DATE": last_change})
    field_data = [
        np.array(values, dtype=np.int64 if name in integer_columns else object)
        for name, values in columns.items()
    ]
    Path(path).unlink(missing_ok=True)
    write(
        path,
        np.array(geometries, dtype=object),
        field_data,
        list(columns),
        layer=layer,
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
        dataset_options=dataset_options,
    )


def _read(path: str, prefer: str) -> Layer:
    from pyogrio import list_layers
    from pyogrio.errors import DataSourceError
    from pyogrio.raw import read

    try:
        layers = [str(name) for name, _ in list_layers(path)]
    except DataSourceError as exc:
        raise GeoPackageError(f"not a readable GeoPackage: {exc}") from None
    if prefer in layers:
        name = prefer
    elif len(layers) == 1:
        name = layers[0]
    else:
        raise GeoPackageError(f"has layers {layers}; expected one, or one named {prefer!r}")
    meta, _, geometries, field_data = read(path, layer=name)
    return Layer(
        name=name,
        fields=[str(f) for f in meta["fields"]],
        columns=[_plain(array) for array in field_data],
        geometries=list(geometries) if geometries is not None else [],
    )


def _plain(array: Any) -> list[Any]:
    values = array.tolist()
    if array.dtype.kind == "f":
        # GDAL hands back a missing number as NaN; here a missing value is None.
        return [None if v != v else v for v in values]
    if array.dtype.kind == "M":
        return [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return values


def main() -> None:
    """The child: run one request from stdin, send (ok, result or exception) to stdout."""
    # Through the module's import name: what is pickled back must not be `__main__.Layer`.
    from app.services.imports import gpkg_files

    name, args = pickle.loads(sys.stdin.buffer.read())
    if name not in ("_write", "_read"):
        raise SystemExit(f"unknown request {name!r}")
    function = getattr(gpkg_files, name)
    try:
        reply: tuple[bool, Any] = (True, function(*args))
    except Exception as exc:  # the parent raises it
        reply = (False, exc)
    sys.stdout.buffer.write(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
