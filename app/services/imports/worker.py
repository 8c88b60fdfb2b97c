"""Validating an import file in a second process, so that one CPU validates while another writes.

The parent starts `python -m app.services.imports.worker`, sends (path, options, known themes,
batch size) pickled on stdin, and reads length-prefixed pickled messages from stdout:
("batch", Batch) ..., then ("end", None), or ("error", exception). A plain child process
(not multiprocessing) never re-runs the parent's main script, whatever the caller is.
"""

import gc
import pickle
import queue
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from app.services.imports.rows import Batch, ImportOptions, batches_of_file

_LENGTH = struct.Struct("<Q")
# Batches read ahead of the caller at most (bounds memory on a huge file).
AHEAD = 64


def batches_from_worker(
    path: Path, options: ImportOptions, known_themes: frozenset[str], size: int
) -> Iterator[Batch]:
    """The file's batches, validated by a child process (stopped when the caller stops)."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "app.services.imports.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            request = (path, options, known_themes, size)
            child.stdin.write(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            child.stdin.close()
            # A thread drains the pipe while the caller writes, so the child never waits on a
            # full pipe (the caller's big inserts would otherwise stop validation meanwhile).
            messages: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
            reader = threading.Thread(target=_read_all, args=(child.stdout, messages), daemon=True)
            reader.start()
            while True:
                data = messages.get()
                if data is None:
                    raise _stopped(child, errors)
                kind, payload = pickle.loads(data)
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


def _read_all(stream: IO[bytes], messages: "queue.Queue[bytes | None]") -> None:
    """Put each message's bytes on the queue, then None when the stream ends."""
    try:
        while True:
            header = stream.read(_LENGTH.size)
            if len(header) < _LENGTH.size:
                break
            (length,) = _LENGTH.unpack(header)
            data = stream.read(length)
            if len(data) < length:
                break
            messages.put(data)
    except (OSError, ValueError):  # the caller stopped early and closed the pipe
        pass
    messages.put(None)


def _stopped(child: "subprocess.Popen[bytes]", errors: IO[bytes]) -> RuntimeError:
    child.wait()
    errors.seek(0)
    tail = errors.read().decode(errors="replace").strip().splitlines()[-5:]
    return RuntimeError(
        f"the validating process stopped (exit {child.returncode}): " + " | ".join(tail)
    )


def _send(stream: IO[bytes], message: tuple[str, Any]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def main() -> None:
    """The child: read the request, send the batches."""
    # A short-lived process that frees nothing until it ends: no cycle collection needed.
    gc.disable()
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
