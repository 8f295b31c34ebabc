"""One build at a time per output folder.

A build (and ``fouanalys validate`` writing its page) holds an operating-system file lock
(:mod:`filelock`, ``fcntl`` on Linux) on ``.fouanalys.lock`` in every folder it writes: the
processed tables' folder and the reports folder. A second build into the same folders waits,
naming the running one, or refuses with ``--no-wait``. Beside the lock a small owner file says
who holds it (process id, host, start time, command); it is removed when the build ends. The
operating system releases the lock of a process that dies, so a killed build never blocks the
next one: the next build finds the dead build's owner file, says it takes the lock over, and
(:func:`remove_leftovers`) removes what the killed build left half-made.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from fouanalys.config import VALIDATION_REPORT_DIR
from fouanalys.exceptions import FouanalysError

log = logging.getLogger("fouanalys")

LOCK_FILE = ".fouanalys.lock"
OWNER_FILE = ".fouanalys.lock.owner"


class BuildLockedError(FouanalysError):
    """Raised when another build holds an output folder and the caller chose not to wait."""


@dataclass(frozen=True)
class Owner:
    """Who holds (or held) a folder's lock."""

    pid: int
    host: str
    started: str  # local time, seconds
    command: str

    @classmethod
    def current(cls, command: str) -> Owner:
        started = datetime.now().isoformat(sep=" ", timespec="seconds")
        return cls(os.getpid(), socket.gethostname(), started, command)

    def describe(self) -> str:
        return (
            f"'fouanalys {self.command}', process {self.pid} på {self.host}, startad {self.started}"
        )

    def gone(self) -> bool:
        """Whether the process is known to have ended (only knowable on this host)."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False


def read_owner(folder: Path) -> Owner | None:
    """The owner recorded in ``folder``, or None when there is none (or it is unreadable)."""
    try:
        return Owner(**json.loads((Path(folder) / OWNER_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


@contextmanager
def output_lock(
    folders: Sequence[Path],
    command: str,
    wait: bool = True,
    say: Callable[[str], None] = log.info,
) -> Iterator[list[Owner]]:
    """Hold the lock of every folder in ``folders`` (made when missing) for the ``with`` block.

    Locks are taken in one order (sorted resolved paths), so two builds never hold one each
    and wait for the other. When another build holds a folder: with ``wait`` say so and wait
    for it, else raise :class:`BuildLockedError` naming it. Yields the owners of locks that a
    killed build left (taken over), so the caller can clean up after them.
    """
    unique = sorted({Path(f).resolve() for f in folders})
    taken_over: list[Owner] = []
    with ExitStack() as stack:
        for folder in unique:
            stale = stack.enter_context(_folder_lock(folder, command, wait, say))
            if stale is not None:
                taken_over.append(stale)
        yield taken_over


@contextmanager
def _folder_lock(
    folder: Path, command: str, wait: bool, say: Callable[[str], None]
) -> Iterator[Owner | None]:
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_FILE, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        owner = read_owner(folder)
        running = owner.describe() if owner else "okänd process"
        text = f"Ett annat bygge skriver redan i {folder} ({running})."
        if not wait:
            raise BuildLockedError(
                f"{text} Vänta tills det är klart och bygg sedan igen, eller kör utan "
                "--no-wait så väntar bygget på sin tur."
            ) from None
        say(f"{text} Väntar tills det är klart (Ctrl-C avbryter) …")
        lock.acquire()
        say(f"Det andra bygget i {folder} är klart; fortsätter.")
    stale = read_owner(folder)  # an owner file with the lock free: its build was killed
    if stale is not None and stale.pid != os.getpid():
        say(
            f"Tar över låset i {folder} från ett bygge som inte avslutades ({stale.describe()}"
            f"{', processen finns inte längre' if stale.gone() else ''})."
        )
    else:
        stale = None
    owner_path = folder / OWNER_FILE
    try:
        owner_path.write_text(json.dumps(asdict(Owner.current(command))), encoding="utf-8")
        yield stale
    finally:
        owner_path.unlink(missing_ok=True)  # before the release: a waiter never sees it
        lock.release()


def page_folder(report_dir: Path) -> Path:
    """The folder to lock when writing a validation page to ``report_dir``: the page in a
    reports folder (``<reports>/validation``) is written under that folder's lock, as a
    build's; a page elsewhere under its own folder's."""
    report_dir = Path(report_dir)
    return report_dir.parent if report_dir.name == VALIDATION_REPORT_DIR.name else report_dir


#: Folders and files a build makes only while it runs; any found under the lock were left by
#: a build that was killed: processed tables being staged (respondent-level rows among them),
#: a chapter's scratch folder, a file being written atomically.
LEFTOVER_PATTERNS = (".staging-*", "*/.*.tmp-*", ".*.tmp-*", "**/.*.tmp")


def remove_leftovers(folders: Sequence[Path]) -> list[Path]:
    """Remove what a killed build left half-made in ``folders``; returns what was removed.

    Only safe under :func:`output_lock`: then no other build is writing there.
    """
    removed: list[Path] = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for pattern in LEFTOVER_PATTERNS:
            for path in sorted(folder.glob(pattern)):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
    return removed
