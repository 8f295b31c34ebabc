"""Stopping a build on Ctrl-C or SIGTERM: quickly, quietly, keeping what is finished.

The main process handles SIGINT and SIGTERM itself for as long as :func:`stop_signals` is open.
Outside a loop that watches for them, a signal raises :class:`Interrupted` at once (a
``KeyboardInterrupt``, so no ``except Exception`` swallows it). Inside :func:`deferred`, the
chapter loop's scope, a signal is only recorded: the loop sees it within :data:`POLL` seconds,
starts nothing more, terminates its worker processes and their kernels
(:func:`terminate_trees`) and removes the half-done chapters itself.

Worker processes leave all of this to the main process: :func:`quiet_worker` (a pool
initializer) makes them ignore the terminal's Ctrl-C, which reaches the whole process group, and
die plainly on SIGTERM. Notebooks run in a helper thread (:func:`in_thread`), because nbclient,
in a main thread, adds its own SIGINT/SIGTERM handlers that shut the kernel down behind the
build's back and leave asyncio tracebacks on stderr.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

#: The signals that stop a build.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Seconds between two looks at whether a stop signal came, in the loops that wait for work.
POLL = 0.2
#: Seconds a terminated process gets to exit before it is killed.
GRACE = 2.0


class Interrupted(KeyboardInterrupt):
    """Raised in the main process when a stop signal comes outside a loop that watches for it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class Stop:
    """The stop signal received while :func:`stop_signals` is open (``signum``, else None)."""

    pid: int = field(default_factory=os.getpid)
    signum: int | None = None
    deferring: bool = False


_active: Stop | None = None


def _handle(signum: int, frame: object) -> None:
    """Record the signal; raise :class:`Interrupted` unless a loop is watching for it."""
    stop = _active
    if stop is None or stop.pid != os.getpid():
        # A forked child inherited this handler: die as if none were installed, silently.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if stop.signum is None:
        stop.signum = signum
        _quiet_others()
    if not stop.deferring:
        raise Interrupted(signum)


def _own_records(record: logging.LogRecord) -> bool:
    return record.name == "fouanalys" or record.name.startswith("fouanalys.")


def _quiet_others() -> None:
    """After a stop signal, whatever a dying kernel, nbclient or asyncio says is noise after
    the build's own last line: only fouanalys's records reach the log until the handlers are
    restored; asyncio's "Task exception was never retrieved", logged when the tasks of a
    stopped notebook are collected, is silenced for good."""
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_own_records)


@contextmanager
def stop_signals() -> Iterator[Stop]:
    """Handle SIGINT and SIGTERM in this process while open; yields the :class:`Stop` record.

    Nested use shares the outer record. Outside the main thread (where Python cannot install
    handlers) it yields a record no signal will set.
    """
    global _active
    if _active is not None and _active.pid == os.getpid():
        yield _active
        return
    if threading.current_thread() is not threading.main_thread():
        yield Stop()
        return
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    _active = Stop()
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, _handle)
        yield _active
    finally:
        _active = None
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for handler in logging.getLogger().handlers:
            handler.removeFilter(_own_records)


@contextmanager
def deferred() -> Iterator[Stop]:
    """While open, a stop signal is only recorded in the yielded :class:`Stop`, for a loop that
    checks ``signum`` (see :func:`as_finished`) and stops in its own time."""
    with stop_signals() as stop:
        before, stop.deferring = stop.deferring, True
        try:
            yield stop
        finally:
            stop.deferring = before


def as_finished(futures: dict[Future, T], stop: Stop) -> Iterator[tuple[Future, T]]:
    """Each future with its label as it finishes, until all have or a stop signal came.

    ``futures`` may be concurrent.futures or Dask futures. A future that finished after the
    signal is not yielded: its work is treated as not done.
    """
    pending = set(futures)
    while pending and stop.signum is None:
        finished = [f for f in pending if f.done()]
        if not finished:
            local = [f for f in pending if isinstance(f, Future)]
            if len(local) == len(pending):
                finished = list(wait(local, timeout=POLL, return_when=FIRST_COMPLETED).done)
            else:
                time.sleep(POLL)
        for fut in finished:
            if stop.signum is not None:
                return
            pending.discard(fut)
            yield fut, futures[fut]


def in_thread(fn: Callable[..., T], *args: object) -> Future:
    """Run ``fn(*args)`` in a daemon thread; its result as a Future.

    A daemon thread does not hold up the exit of an interrupted build, and in it nbclient
    leaves signal handling to the build.
    """
    fut: Future = Future()

    def target() -> None:
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever waits on the future
            fut.set_exception(exc)

    threading.Thread(target=target, name=f"fouanalys-{fn.__name__}", daemon=True).start()
    return fut


@contextmanager
def worker_pool(jobs: int, stop: Stop) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``jobs`` quiet worker processes (:func:`quiet_worker`). Left after a stop
    signal, it cancels the tasks not started and terminates the workers with their kernels
    instead of waiting for them."""
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=quiet_worker)
    try:
        yield pool
    finally:
        if stop.signum is None:
            pool.shutdown()
        else:
            workers = list(pool._processes or {})
            pool.shutdown(wait=False, cancel_futures=True)
            terminate_trees(workers)


def quiet_worker() -> None:
    """Pool initializer: ignore the terminal's Ctrl-C, die plainly on SIGTERM (the main
    process decides when a worker stops and terminates it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def children() -> set[int]:
    """The process ids of this process's descendants now."""
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def terminate_trees(pids: Iterable[int]) -> None:
    """Terminate the processes ``pids`` and all their descendants (a worker and its kernel);
    kill those still running after :data:`GRACE` seconds.

    Never reaps them: the pool that started a worker waits for it itself (a worker reaped
    behind its back looks alive to it forever, and the exit hangs).
    """
    import psutil

    procs: dict[int, psutil.Process] = {}
    for pid in pids:
        with suppress(psutil.Error):
            root = psutil.Process(pid)
            procs |= {p.pid: p for p in [root, *root.children(recursive=True)]}
    for proc in procs.values():
        with suppress(psutil.Error):
            proc.terminate()
    alive = _wait_gone(procs.values(), GRACE)
    for proc in alive:
        with suppress(psutil.Error):
            proc.kill()
    _wait_gone(alive, GRACE)


def _wait_gone(procs: Iterable, timeout: float) -> list:
    """The psutil processes of ``procs`` still running (not exited, not a zombie) after
    ``timeout`` seconds."""
    import psutil

    def running(proc: psutil.Process) -> bool:
        try:
            return proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    deadline = time.monotonic() + timeout
    alive = [p for p in procs if running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if running(p)]
    return alive
