"""JupyterLab on the repository: loopback only, a fresh token, the project's kernel by default.

``fouanalys lab`` (and ``make lab``) registers the kernel, silences JupyterLab's news and
update pop-up with a settings override inside the environment (never in the user's home),
prints the address with its token and then replaces itself with ``jupyter lab``, so Ctrl-C
and the server's own shutdown prompt behave exactly as usual.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fouanalys.config import KERNEL_NAME, NOTEBOOKS_DIR, PROCESSED_DIR_ENV, PROJ_ROOT
from fouanalys.exceptions import FouanalysError

log = logging.getLogger("fouanalys")

HOST = "127.0.0.1"
DEFAULT_PORT = 8888
PORT_ATTEMPTS = 50

#: The JupyterLab 4 setting that drives the "receive official Jupyter news?" toast and the
#: update check; "false" is the "Never" choice (the setting is a string, not a boolean).
NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"
NOTIFICATION_OVERRIDES = {"fetchNews": "false", "checkForUpdates": False}


def lab_settings_dir(prefix: str | Path = sys.prefix) -> Path:
    """JupyterLab's application settings folder inside the environment (holds overrides.json)."""
    return Path(prefix) / "share" / "jupyter" / "lab" / "settings"


def write_settings_overrides(settings_dir: Path | None = None) -> Path:
    """Merge the no-news settings into ``settings_dir/overrides.json``; returns the file.

    Idempotent: other plugins' overrides already in the file are kept, and the file is only
    rewritten when something changes.
    """
    settings_dir = settings_dir or lab_settings_dir()
    path = settings_dir / "overrides.json"
    try:
        current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except json.JSONDecodeError:
        log.warning("%s är ingen giltig JSON och skrivs om", path)
        current = {}
    wanted = dict(current)
    wanted[NOTIFICATION_PLUGIN] = current.get(NOTIFICATION_PLUGIN, {}) | NOTIFICATION_OVERRIDES
    if wanted != current or not path.is_file():
        settings_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(wanted, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def lab_arguments(
    root: Path,
    port: int,
    token: str,
    notebook_dir: str = "notebooks",
    as_root: bool = False,
    open_browser: bool = False,
    settings_dir: Path | None = None,
) -> list[str]:
    """Command-line options for ``jupyter lab`` (without the program itself).

    The server listens on loopback only, at ``port`` exactly (no silent move to another port,
    so the printed address is right), demands ``token``, opens ``notebook_dir`` (relative to
    ``root``; "" for the root itself), starts the project's kernel for new notebooks, never
    fetches news or checks for updates, and passes ``--allow-root`` when ``as_root``.
    """
    tree = "/lab/tree/" + notebook_dir.strip("/") if notebook_dir.strip("/") else "/lab"
    args = [
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={Path(root).resolve()}",
        f"--IdentityProvider.token={token}",
        f"--LabApp.default_url={tree}",
        f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
        f"--LabApp.app_settings_dir={settings_dir or lab_settings_dir()}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if not open_browser:
        args.append("--no-browser")
    if as_root:
        args.append("--allow-root")
    return args


def lab_url(port: int, token: str, notebook_dir: str = "notebooks") -> str:
    """The address to open in a browser, token included."""
    path = "lab/tree/" + notebook_dir.strip("/") if notebook_dir.strip("/") else "lab"
    return f"http://{HOST}:{port}/{path}?token={token}"


def free_port(start: int = DEFAULT_PORT, attempts: int = PORT_ATTEMPTS) -> int:
    """The first port from ``start`` on that is free on loopback (``start=0``: any free port)."""
    for candidate in range(start, start + attempts) if start else [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise FouanalysError(
        f"Hittade ingen ledig port mellan {start} och {start + attempts - 1} på {HOST}; "
        "stäng en annan Jupyter-server eller välj port med --port."
    )


def has_display() -> bool:
    """Whether a graphical session can show a browser (X11 or Wayland, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_lab() -> Path:
    """Register the project's kernel and write the no-news override; returns the settings
    folder to pass to JupyterLab."""
    from fouanalys.build.kernel import ensure_kernel

    ensure_kernel()
    return write_settings_overrides().parent


def lab_command(args: Sequence[str]) -> list[str]:
    """``jupyter lab`` run by this environment's interpreter, with ``args``."""
    return [sys.executable, "-m", "jupyterlab", *args]


def run_lab(
    port: int | None = None,
    open_browser: bool | None = None,
    root: Path = PROJ_ROOT,
    notebook_dir: str | None = None,
) -> None:
    """Start JupyterLab in place of this process (does not return).

    ``port`` None picks the first free port from 8888; ``open_browser`` None opens one only
    when there is a display. Works as root without extra flags.
    """
    if notebook_dir is None:
        notebook_dir = NOTEBOOKS_DIR.relative_to(PROJ_ROOT).as_posix() if root == PROJ_ROOT else ""
    settings_dir = prepare_lab()
    port = port or free_port()
    token = secrets.token_urlsafe(24)
    args = lab_arguments(
        root,
        port,
        token,
        notebook_dir=notebook_dir,
        as_root=hasattr(os, "geteuid") and os.geteuid() == 0,
        open_browser=has_display() if open_browser is None else open_browser,
        settings_dir=settings_dir,
    )
    log.info("JupyterLab startar på %s", lab_url(port, token, notebook_dir))
    log.info(
        "Öppna adressen i en webbläsare på den här datorn. Stäng servern med Ctrl-C två gånger."
    )
    for handler in logging.getLogger().handlers + log.handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    command = lab_command(args)
    os.execv(command[0], command)


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab started by :func:`isolated_lab`."""

    process: subprocess.Popen
    port: int
    token: str
    log: Path
    #: Jupyter's runtime folder: each running kernel's connection file lies here.
    runtime_dir: Path

    def url(self, path: str) -> str:
        """The address of ``path`` on the server (``"lab/tree/x.ipynb"``), token included."""
        return f"http://{HOST}:{self.port}/{path.lstrip('/')}?token={self.token}"


def http_status(url: str) -> int | None:
    """HTTP status of ``url``, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def isolation_env(
    work: Path, processed: Path, notebook_settings: Mapping[str, object] | None = None
) -> dict[str, str]:
    """Environment for a JupyterLab that reads ``processed`` and keeps all its state in ``work``.

    Settings, workspaces, runtime files (kernel connections), config and IPython profile live
    under ``work/jupyter``, so the user's own Jupyter state is neither read nor changed. The
    notebook shows every cell (no windowing), so the page holds all outputs;
    ``notebook_settings`` adds other settings of JupyterLab's notebook tracker
    (``{"recordTiming": True}`` keeps each cell's execution times in its metadata).
    """
    jupyter = work / "jupyter"
    user_settings = jupyter / "user-settings"
    tracker = user_settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    settings = {"windowingMode": "none", **(notebook_settings or {})}
    tracker.write_text(json.dumps(settings), encoding="utf-8")
    env = os.environ | {
        PROCESSED_DIR_ENV: str(processed),
        "JUPYTERLAB_SETTINGS_DIR": str(user_settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(jupyter / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "IPYTHONDIR": str(jupyter / "ipython"),
        "GX_ANALYTICS_ENABLED": "false",
    }
    env.pop("MPLBACKEND", None)  # chapters draw inline, as in a user's session
    return env


def stop_lab(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a server started by :func:`isolated_lab`; it shuts its kernels down on SIGTERM.

    Only when it does not stop within ``timeout`` seconds is its process group killed (a kernel
    left behind then exits by itself when it sees its parent gone).
    """
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("JupyterLab (pid %d) stannade inte på %g s och avbryts", process.pid, timeout)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def isolated_lab(
    root: Path,
    processed: Path,
    work: Path,
    start_timeout: float = 60,
    notebook_settings: Mapping[str, object] | None = None,
) -> Iterator[LabServer]:
    """JupyterLab as ``make lab`` starts it, over ``root``, isolated from the user's Jupyter.

    For tests and benchmarks that drive a browser: the kernel is registered and the no-news
    override written exactly as :func:`run_lab` does, the server listens on a free loopback
    port with a fresh token, reads ``processed`` (``FOUANALYS_PROCESSED_DIR``), keeps its state
    and its log (``work/jupyter-lab.log``) in ``work`` and exposes ``window.jupyterapp`` to the
    page (``notebook_settings`` as in :func:`isolation_env`). Stopped on leaving the block, with
    its kernels. Raises :class:`FouanalysError` with the server's log when it does not answer
    within ``start_timeout`` seconds.
    """
    env = isolation_env(work, processed, notebook_settings)
    port, token = free_port(0), "lab-" + secrets.token_hex(12)
    args = lab_arguments(
        root,
        port,
        token,
        notebook_dir="",
        as_root=hasattr(os, "geteuid") and os.geteuid() == 0,
        settings_dir=prepare_lab(),
    )
    args.append("--LabApp.expose_app_in_browser=True")  # window.jupyterapp for the page
    log_path = work / "jupyter-lab.log"
    with log_path.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            lab_command(args),
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=work,
            start_new_session=True,  # Ctrl-C in the caller's terminal does not reach it
        )
    server = LabServer(process, port, token, log_path, work / "jupyter" / "runtime")
    try:
        deadline = time.monotonic() + start_timeout
        while http_status(server.url("api/status")) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise FouanalysError(
                    f"JupyterLab svarade inte på {HOST}:{port} inom {start_timeout:g} s. "
                    f"Serverns logg ({log_path}):\n{log_path.read_text(encoding='utf-8')}"
                )
            time.sleep(0.2)
        yield server
    finally:
        stop_lab(process)
