"""Writing a file so that a reader sees the old version or the new one, never half of one.

Every file fouanalys writes outside the processed tables' staging folder (reports, the index,
validation pages, build keys, fetched data, the response cache) goes through
:func:`atomic_write`; the processed tables are moved into place as a whole folder by
:mod:`fouanalys.ingest.processing`.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from fouanalys.exceptions import FouanalysError


def _write_payload(fd: int, payload: bytes) -> None:
    """Write all of ``payload`` to the open file descriptor and flush it to disk."""
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file in the same folder
    and ``os.replace``; the folder is made when missing.

    On an OS error (a full disk, no permission) the temporary file is removed, the old file
    stays, and :class:`FouanalysError` names the target ("Kunde inte skriva …: disken är full").
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        _write_payload(fd, payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        reason = "disken är full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise FouanalysError(
            f"Kunde inte skriva {path}: {reason}. Den tidigare filen (om någon) finns kvar "
            "oförändrad; frigör utrymme eller välj en annan mapp och försök igen."
        ) from exc
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path
