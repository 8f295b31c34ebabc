"""The project's Jupyter kernel, registered inside the environment it runs.

JupyterLab and papermill find it under ``<sys.prefix>/share/jupyter/kernels/fouanalys``, so
both use the same environment and nothing is written to the user's home. The kernel logs at
ERROR level so that executed chapters and the build's console stay free of start-up chatter.

Run ``python -m fouanalys.build.kernel`` to (re)install it.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from fouanalys.config import KERNEL_NAME

log = logging.getLogger("fouanalys")

DISPLAY_NAME = "Python (fouanalys)"
QUIET = "--IPKernelApp.log_level=CRITICAL"


def install_kernel(name: str = KERNEL_NAME, prefix: str = sys.prefix) -> Path:
    """Write the kernelspec for this interpreter under ``prefix``; returns its folder."""
    from ipykernel.kernelspec import install

    folder = Path(install(kernel_name=name, display_name=DISPLAY_NAME, prefix=prefix))
    spec_path = folder / "kernel.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    if QUIET not in spec["argv"]:
        spec["argv"].append(QUIET)
    spec_path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return folder


def ensure_kernel(name: str = KERNEL_NAME) -> None:
    """Install the kernel when it is missing or points at another interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        spec = None
    if spec is None or Path(spec.argv[0]) != Path(sys.executable) or QUIET not in spec.argv:
        folder = install_kernel(name)
        log.info("Registrerade Jupyter-kärnan '%s' i %s", name, folder)


if __name__ == "__main__":
    print(f"Installed kernel '{KERNEL_NAME}' in {install_kernel()}")
