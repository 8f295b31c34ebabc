"""Warm kernels: one started Jupyter kernel per worker process, reused from chapter to chapter.

Starting a kernel and importing the stack in a chapter's first cell cost several seconds, paid
again by every chapter of every municipality. A worker process therefore starts its kernel once
(:func:`kernel_for_chapter`), imports the stack in it (:data:`WARM_UP`), and hands it to
papermill for each chapter it runs (``pm.execute_notebook(..., km=...)``: nbclient leaves a
kernel it did not start running). Papermill's guarantees are unchanged: each chapter's executed
notebook is written with its parameters as it goes, a failing cell is named, a cell over the
timeout fails the chapter.

Before every chapter the kernel is put back as a fresh kernel would be after the warm-up
(:func:`restore_state`, run inside the kernel): the user namespace and the input and output
history emptied, execution counts from 1 again, figures closed, matplotlib's rcParams, the
warning filters, ``os.environ``, ``sys.path``, the working folder and the random states as they
were, and the package's own memoised functions (``functools.cache``) emptied. A chapter that
failed, a kernel that died, a reset that did not answer, and a kernel that has run
:data:`CHAPTERS_PER_KERNEL` chapters are replaced by a new kernel; the chapter itself is
reported as it always was. ``tests/test_warm.py`` proves that chapters run this way give the
same outputs, text and images, as in a kernel of their own, in any order.
"""

from __future__ import annotations

import logging
import os
from contextlib import suppress
from pathlib import Path

from fouanalys.config import KERNEL_NAME, NOTEBOOKS_DIR

log = logging.getLogger("fouanalys")

#: What every chapter's first cell imports, run once when a kernel starts.
WARM_UP = """\
%matplotlib inline
import warnings
import IPython.display
import matplotlib.pyplot
import fouanalys.build.warm
from fouanalys import collaboration, config, keyfigures, network, recruitment, research, workbench
from fouanalys.chapters import insatser, korthet, kunskapslaget, natverk, nyckeltal, region
from fouanalys.chapters import riskfaktorer, seminarium, underlag
from fouanalys.codebook import load_codebook
from fouanalys.ingest.processing import load_manifest, load_table
from fouanalys.present import captioned, table
fouanalys.build.warm.snapshot_state()
"""

#: Run before every chapter: the kernel as the warm-up left it (:func:`restore_state`).
RESET = "import fouanalys.build.warm as _w; _w.restore_state({cwd!r})"

#: A kernel is replaced after this many chapters, so that what a chapter leaves behind outside
#: the reset (a module's own state, memory) cannot pile up.
CHAPTERS_PER_KERNEL = 20

#: Seconds to start a kernel and to run the warm-up or the reset in it.
START_TIMEOUT = 120
RESET_TIMEOUT = 30


# --- inside the kernel ------------------------------------------------------------------------

_saved: dict = {}


def snapshot_state() -> None:
    """In the kernel, after the warm-up: remember what :func:`restore_state` puts back."""
    import random
    import sys
    import warnings

    import matplotlib
    import numpy as np
    from IPython import get_ipython

    # IPython answers every kernel_info request with a banner whose tip it draws from Python's
    # global random generator, and a client waiting for a kernel asks again each second without
    # a reply: on a loaded machine a chapter would see the generator a draw or two further on.
    get_ipython().enable_tip = False
    _saved.update(
        rc=dict(matplotlib.rcParams),
        warnings=list(warnings.filters),
        environ=dict(os.environ),
        path=list(sys.path),
        cwd=os.getcwd(),
        random=random.getstate(),
        numpy=np.random.get_state(),
    )


def restore_state(cwd: str | None = None) -> None:
    """In the kernel: the state :func:`snapshot_state` saw, the chapter's own work gone, in
    the folder ``cwd`` (the chapter notebook's, as papermill gives a kernel it starts)."""
    import random
    import sys
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    from IPython import get_ipython

    plt.close("all")
    shell = get_ipython()
    # The user namespace, In/Out, _ and friends; counts from 1 in a new history session.
    shell.reset(new_session=True)
    dict.update(matplotlib.rcParams, _saved["rc"])
    warnings.resetwarnings()
    warnings.filters.extend(_saved["warnings"])
    os.environ.clear()
    os.environ.update(_saved["environ"])
    sys.path[:] = _saved["path"]
    os.chdir(cwd or _saved["cwd"])
    random.setstate(_saved["random"])
    np.random.set_state(_saved["numpy"])
    _clear_package_caches()


def _clear_package_caches() -> None:
    """Empty every ``functools.cache``/``lru_cache`` of the package's loaded modules."""
    import sys

    for name, module in list(sys.modules.items()):
        if name != "fouanalys" and not name.startswith("fouanalys."):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


# --- in the worker process --------------------------------------------------------------------


class WarmKernel:
    """A started kernel with the stack imported, for one chapter after another."""

    def __init__(self, cwd: Path = NOTEBOOKS_DIR, kernel_name: str = KERNEL_NAME):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        opened: list = []

        class Manager(AsyncKernelManager):
            """Remembers the clients nbclient opens, to close them after the chapter."""

            def client(self, **kw):
                kc = super().client(**kw)
                opened.append(kc)
                return kc

        self.opened = opened

        self.pid = os.getpid()
        self.chapters = 0
        self.km = Manager(kernel_name=kernel_name)
        run_sync(self.km.start_kernel)(cwd=str(cwd))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=START_TIMEOUT)
            self.run(WARM_UP, START_TIMEOUT)
        except Exception:
            self.shutdown()
            raise

    def run(self, code: str, timeout: float) -> None:
        """Run ``code`` in the kernel, outside its history; raise if it fails or takes longer
        than ``timeout`` seconds."""
        reply = self.kc.execute_interactive(
            code, silent=True, store_history=False, timeout=timeout, output_hook=lambda _: None
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def close_clients(self) -> None:
        """Close the channels nbclient opened for the last chapter (it leaves them open on a
        kernel it does not own)."""
        for kc in self.opened:
            with suppress(Exception):
                kc.stop_channels()
        self.opened.clear()

    def shutdown(self) -> None:
        """Stop the kernel at once and remove its connection file."""
        from jupyter_core.utils import run_sync

        self.close_clients()
        with suppress(Exception):
            self.kc.stop_channels()
        with suppress(Exception):
            run_sync(self.km.shutdown_kernel)(now=True)


_kernel: WarmKernel | None = None


def kernel_for_chapter(cwd: Path) -> WarmKernel:
    """This process's warm kernel, reset for a new chapter in the folder ``cwd``; a new one
    (started in ``cwd``) when there is none (or
    only one inherited from a parent process), when it died, when the reset failed and when it
    has run :data:`CHAPTERS_PER_KERNEL` chapters."""
    global _kernel
    kernel = _kernel if _kernel is not None and _kernel.pid == os.getpid() else None
    if kernel is not None:
        try:
            if kernel.chapters >= CHAPTERS_PER_KERNEL or not kernel.alive():
                raise RuntimeError("uttjänt eller död kärna")
            kernel.run(RESET.format(cwd=str(cwd)), RESET_TIMEOUT)
        except Exception as exc:
            log.debug("Byter ut den varma kärnan: %s", exc)
            kernel.shutdown()
            kernel = None
    if kernel is None:
        kernel = _kernel = WarmKernel(cwd)
        _at_exit()
        try:
            kernel.run(RESET.format(cwd=str(cwd)), RESET_TIMEOUT)  # the warm-up's names go
        except Exception:
            retire()
            raise
    kernel.chapters += 1
    return kernel


def retire() -> None:
    """Shut this process's warm kernel down (after a failed chapter, at the end of the work)."""
    global _kernel
    if _kernel is not None and _kernel.pid == os.getpid():
        _kernel.shutdown()
    _kernel = None


_exit_registered: set[int] = set()


def _at_exit() -> None:
    """Shut the kernel down when this process exits, a pool worker too (multiprocessing runs
    its finalizers there, where ``atexit`` is not run)."""
    from multiprocessing.util import Finalize

    if os.getpid() not in _exit_registered:
        _exit_registered.add(os.getpid())
        Finalize(None, retire, exitpriority=10)
