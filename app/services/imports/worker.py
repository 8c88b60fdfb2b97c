"""Validating an import file in other processes, so that validation runs while this one writes.

A `concurrent.futures.ProcessPoolExecutor` validates consecutive chunks of a CSV file (one
worker per spare CPU); this process reads the lines (csv.reader's cells: cheap to read and to
send), hands the chunks out a few ahead, and takes the validated batches back in file order.
Workers are forked when this process runs no other thread (instant: nothing to import again);
otherwise (e.g. a progress bar's refresh thread) they come from a fork server, which never
copies a half-held lock.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from app.services.imports.formats import SourceFile, SourceRecord
from app.services.imports.rows import Batch, ImportOptions, prepare

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Chunks handed out ahead of the one the caller is writing (bounds memory on a huge file).
AHEAD = 4


def batches_from_workers(
    source_file: SourceFile,
    options: ImportOptions,
    known_themes: frozenset[str],
    size: int,
    workers: int,
) -> Iterator[Batch]:
    """The file's batches in order, validated by `workers` processes (stopped with the caller)."""
    where = source_file.location_field
    raw = source_file.lines
    assert raw is not None, "workers take CSV lines"
    context = _start_method()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        pending: deque[Future[Batch]] = deque()
        try:
            while True:
                while len(pending) < AHEAD * workers and (chunk := list(islice(raw.lines, size))):
                    task = (chunk, raw.to_record, where, options, known_themes)
                    pending.append(pool.submit(prepared_chunk, *task))
                if not pending:
                    return
                yield pending.popleft().result()
        except BrokenProcessPool as exc:
            raise RuntimeError(f"a validating process stopped ({exc})") from exc
        finally:
            for future in pending:
                future.cancel()


def prepared_chunk(
    lines: list[tuple[int, list[str]]],
    to_record: Callable[[int, list[str]], SourceRecord],
    where: str,
    options: ImportOptions,
    known_themes: frozenset[str],
) -> Batch:
    """One chunk of CSV lines made records and validated (what a worker runs)."""
    batch = Batch(rows=[], problems=[], records=len(lines))
    for number, cells in lines:
        found = prepare(to_record(number, cells), where, options, known_themes)
        if isinstance(found, list):
            batch.problems.extend(found)
        else:
            batch.rows.append(found)
    return batch


def die_with_parent(parent: int) -> None:
    """In a worker: end when the importing process ends, however it ends (a SIGKILL runs no
    clean-up, and a worker left waiting for work would hold the import's pipes open for
    ever). Linux's PR_SET_PDEATHSIG; elsewhere the executor's own shutdown has to do. A fork
    server's worker has the server as parent, which ends with the importing process in turn."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if not _parent_alive(parent):  # already gone before the signal was asked for
        os._exit(1)


def _parent_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _start_method() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def spare_cpus() -> int:
    """CPUs this process may use, less the one it writes with (at least 0)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return cpus - 1
