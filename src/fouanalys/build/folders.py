"""Output folders checked before any work starts.

A build writes the processed tables and the reports; ``validate`` writes its page. Each folder
is checked first, so a folder that cannot be used stops the command in a second with one line
naming the path and what to do, instead of an unexplained error after minutes of validation.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from fouanalys.exceptions import FouanalysError


class OutputFolderError(FouanalysError):
    """Raised when an output folder cannot be made or written."""


def checked_folder(path: Path | str, role: str, option: str) -> Path:
    """``path`` resolved, once it is known that fouanalys can make and write it.

    ``role`` names the folder in the message ("rapportmappen"), ``option`` the command-line
    option that chooses another ("--reports-dir"). Raises :class:`OutputFolderError` for a
    symbolic link loop, a file where the folder (or one above it) should be, and a folder
    (or, when it does not exist yet, the folder it would be made in) that is not writable.
    """
    raw = Path(path).expanduser()
    other = f"eller välj en annan mapp med {option}"
    try:
        resolved = raw.resolve()
    except (RuntimeError, OSError) as exc:  # Python 3.11 raises RuntimeError for a loop
        raise OutputFolderError(
            f"{role.capitalize()} {raw} kan inte användas: en symbolisk länk på vägen dit "
            f"pekar i en slinga ({exc}). Rätta eller ta bort länken {other}."
        ) from None
    existing = resolved
    while not existing.exists():
        if existing.is_symlink():  # a link to nothing: mkdir would fail
            raise OutputFolderError(
                f"{role.capitalize()} {raw} kan inte skapas: {existing} är en symbolisk länk "
                f"till något som inte finns. Rätta länken {other}."
            )
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == resolved else f" ({existing} ligger på vägen dit)"
        raise OutputFolderError(
            f"{role.capitalize()} {raw} kan inte användas: {existing} är en fil, inte en "
            f"mapp{where}. Flytta eller byt namn på filen {other}."
        )
    _probe_writable(existing, raw, role, option)
    return resolved


#: Why a folder cannot be written, by errno, with what a person can do about it.
_NO_RIGHT = (
    "behörighet att skriva saknas",
    "Ge dig själv skrivrätt (chmod u+w {folder}) eller välj en annan mapp med {option}",
)
_WRITE_FAILURES = {
    errno.EACCES: _NO_RIGHT,
    errno.EPERM: _NO_RIGHT,
    errno.EROFS: ("filsystemet är skrivskyddat", "Välj en mapp på en skrivbar disk med {option}"),
    errno.ENOSPC: ("disken är full", "Frigör utrymme eller välj en annan mapp med {option}"),
}


def _probe_writable(folder: Path, raw: Path, role: str, option: str) -> None:
    """Create and remove a file in ``folder``: permission bits alone say nothing for root, a
    read-only file system or a full disk."""
    try:
        fd, name = tempfile.mkstemp(prefix=".fouanalys-probe-", dir=folder)
    except OSError as exc:
        reason, advice = _WRITE_FAILURES.get(
            exc.errno,
            (
                exc.strerror or type(exc).__name__,
                "Kontrollera mappen eller välj en annan med {option}",
            ),
        )
        target = "" if folder == raw.resolve() else f" (den skulle skapas i {folder})"
        raise OutputFolderError(
            f"{role.capitalize()} {raw} går inte att skriva i{target}: {reason}. "
            f"{advice.format(folder=folder, option=option)}."
        ) from None
    os.close(fd)
    os.unlink(name)
