"""Validating an import file in a second process, so that one CPU validates while another writes.

The parent starts `python -m app.services.import_worker`, sends (path, options, known themes,
batch size) pickled on stdin, and reads length-prefixed pickled messages from stdout:
("batch", Batch) ..., then ("end", None), or ("error", exception). A plain child process
(not multiprocessing) never re-runs the parent's main script, whatever the caller is.
"""

import pickle
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from app.services.import_rows import Batch, ImportOptions, batches_of_file

_LENGTH = struct.Struct("<Q")


def batches_from_worker(
    path: Path, options: ImportOptions, known_themes: frozenset[str], size: int
) -> Iterator[Batch]:
    """The file's batches, validated by a child process (stopped when the caller stops)."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "app.services.import_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            request = (path, options, known_themes, size)
            child.stdin.write(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            child.stdin.close()
            while True:
                kind, payload = _receive(child.stdout, child, errors)
                if kind == "end":
                    return
                if kind == "error":
                    raise payload
                yield payload
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()


def _receive(stream: IO[bytes], child: "subprocess.Popen[bytes]", errors: IO[bytes]) -> Any:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        child.wait()
        errors.seek(0)
        tail = errors.read().decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(
            f"the validating process stopped (exit {child.returncode}): " + " | ".join(tail)
        )
    (length,) = _LENGTH.unpack(header)
    return pickle.loads(stream.read(length))


def _send(stream: IO[bytes], message: tuple[str, Any]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def main() -> None:
    """The child: read the request, send the batches."""
    out = sys.stdout.buffer
    path, options, known_themes, size = pickle.loads(sys.stdin.buffer.read())
    try:
        for batch in batches_of_file(path, options, known_themes, size):
            _send(out, ("batch", batch))
    except Exception as exc:  # the parent raises it
        _send(out, ("error", exc))
        return
    _send(out, ("end", None))


if __name__ == "__main__":
    main()
