# ruff: noqa: F811  (the fixtures `project` and `prepared` are imported from test_buildcache)
"""A build that survives its users: one build at a time per output folder, damaged or missing
outputs noticed, no leftovers of a killed build, folders moved without a rebuild, and output
folders that cannot be used named before any work starts.

The builds use the small stand-in chapter of ``test_buildcache`` on a copy of the example data.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from test_buildcache import CODES, chapter_notebook, executed, prepared, project  # noqa: F401

from fouanalys.build import lock
from fouanalys.build.folders import OutputFolderError, checked_folder
from fouanalys.build.lock import LOCK_FILE, OWNER_FILE, BuildLockedError, output_lock, read_owner
from fouanalys.config import EXAMPLE_DATA_DIR

ROOT = Path(__file__).resolve().parents[1]


def _build_script(
    root: Path, data: Path, notebooks: Path, prelude: str = "", **extra: object
) -> str:
    """A Python program that runs the fixture's build in its own process (``prelude`` first)."""
    args = ", ".join(f"{k}={v!r}" for k, v in extra.items())
    return prelude + (
        "import logging, sys\nfrom pathlib import Path\nfrom fouanalys.build import runner\n"
        "logging.basicConfig(level=logging.INFO, format='fouanalys: %(message)s')\n"
        "from fouanalys.exceptions import FouanalysError\n"
        "runner.KERNEL_NAME = 'python3'\n"
        "try:\n"
        f"    s = runner.build(municipalities={CODES!r}, data_dir=Path({str(data)!r}), "
        f"processed_dir=Path({str(root / 'processed')!r}), "
        f"reports_dir=Path({str(root / 'reports')!r}), jobs=1, formats=('html',), "
        f"chapters=('03_insatser',), progress=False, notebooks_dir=Path({str(notebooks)!r}), "
        f"{args})\n"
        "except FouanalysError as exc:\n"
        "    print(exc, file=sys.stderr)\n    sys.exit(1)\n"
        "print(runner.format_summary(s))\nsys.exit(0 if s.ok else 1)\n"
    )


def _hold_lock(folder: Path) -> subprocess.Popen:
    """A process that takes ``folder``'s lock and holds it until killed."""
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom fouanalys.build.lock import output_lock\n"
        f"with output_lock([Path({str(folder)!r})], 'build'):\n"
        "    print('held', flush=True)\n    time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


# --- the lock -------------------------------------------------------------------------------


def test_a_held_folder_is_refused_naming_the_running_build(tmp_path):
    holder = _hold_lock(tmp_path / "reports")
    try:
        with (
            pytest.raises(BuildLockedError) as err,
            output_lock([tmp_path / "reports"], "build", wait=False),
        ):
            pass
        message = str(err.value)
        assert f"process {holder.pid}" in message and "fouanalys build" in message
        assert str(tmp_path / "reports") in message and "--no-wait" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_build_says_whom_it_waits_for_and_goes_on_when_it_ends(tmp_path):
    holder = _hold_lock(tmp_path / "p")
    said: list[str] = []

    def end_holder_after_a_while():
        time.sleep(1.5)
        holder.terminate()

    import threading

    threading.Thread(target=end_holder_after_a_while, daemon=True).start()
    started = time.monotonic()
    with output_lock([tmp_path / "p", tmp_path / "r"], "build", say=said.append):
        waited = time.monotonic() - started
        assert read_owner(tmp_path / "p").pid == os.getpid()
    holder.wait()
    assert waited >= 1.0  # it did wait for the other build
    assert f"process {holder.pid}" in said[0] and "Väntar" in said[0]
    assert not (tmp_path / "p" / OWNER_FILE).exists()  # the owner file goes with the build


def test_a_killed_builds_lock_is_taken_over_saying_so(tmp_path):
    holder = _hold_lock(tmp_path / "r")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    said: list[str] = []
    with output_lock([tmp_path / "r"], "build", wait=False, say=said.append) as taken_over:
        assert [o.pid for o in taken_over] == [holder.pid]
    assert "Tar över låset" in said[0] and "processen finns inte längre" in said[0]


@pytest.mark.slow
def test_two_builds_into_one_folder_one_waits_and_the_outputs_equal_a_single_build(project):
    root, data, notebooks, build = project
    single = build(reports_dir=root / "single")  # processes the data, and the reference
    marker = root / "stall"
    marker.touch()
    nbformat.write(
        chapter_notebook(
            "import time\nfrom pathlib import Path\n"
            f"while Path({str(marker)!r}).exists():\n    time.sleep(0.2)\n"
        ),
        notebooks / "03_insatser.ipynb",
    )
    first = subprocess.Popen(
        [sys.executable, "-c", _build_script(root, data, notebooks)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list((root / "reports").glob("*/.03_insatser.tmp-*/*.ipynb")):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.2)  # the first build is executing its first chapter
    refused = subprocess.run(
        [sys.executable, "-c", _build_script(root, data, notebooks, wait=False)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert f"process {first.pid}" in refused.stderr and "Traceback" not in refused.stderr
    said = root / "second.err"
    with said.open("w") as stderr:
        second = subprocess.Popen(
            [sys.executable, "-c", _build_script(root, data, notebooks)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    deadline = time.monotonic() + 120
    while "Väntar" not in said.read_text(encoding="utf-8"):  # it waits for the first
        assert time.monotonic() < deadline and second.poll() is None
        time.sleep(0.1)
    assert first.poll() is None
    marker.unlink()
    out1, err1 = first.communicate(timeout=180)
    out2, _ = second.communicate(timeout=180)
    err2 = said.read_text(encoding="utf-8")
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert "MISSLYCKADES" not in out1 + out2
    assert "Väntar" in err2 and f"process {first.pid}" in err2
    assert len(re.findall(r"03_insatser +oförändrad ", out2)) == len(CODES)  # all built

    def chapters(folder: Path) -> dict[str, list]:
        found = {}
        for path in sorted(folder.glob("*/03_insatser.ipynb")):
            nb = nbformat.read(path, as_version=4)
            found[path.parent.name] = [c.get("outputs") for c in nb.cells if c.cell_type == "code"]
        return found

    assert single.ok
    assert chapters(root / "reports") == chapters(root / "single") != {}


# --- integrity ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_truncated_processed_table_is_named_and_made_again(project, caplog):
    root, _, _, build = project
    assert build().ok
    table = root / "processed" / "insatser.parquet"
    good = table.read_bytes()
    table.write_bytes(good[: len(good) // 2])
    caplog.set_level("INFO", logger="fouanalys")
    summary = build()
    assert summary.ok
    assert "insatser.parquet" in caplog.text and "bearbetar om" in caplog.text
    assert "Validerar och bearbetar" in caplog.text
    assert table.read_bytes()[:4] == b"PAR1" and len(table.read_bytes()) == len(good)


@pytest.mark.slow
def test_a_deleted_or_altered_chapter_file_rebuilds_that_chapter_only(project):
    root, _, _, build = project
    assert build().ok
    (root / "reports" / "0184" / "03_insatser.html").unlink()
    altered = root / "reports" / "0191" / "03_insatser.ipynb"
    info = altered.stat()
    text = altered.read_bytes()
    altered.write_bytes(text.replace(b"Testkapitel", b"Testkapitl!"))  # same size
    os.utime(altered, ns=(info.st_atime_ns, info.st_mtime_ns))  # and the same time
    summary = build()
    assert summary.ok and executed(summary) == {"0184", "0191"}
    assert (root / "reports" / "0184" / "03_insatser.html").is_file()
    assert b"Testkapitel" in altered.read_bytes()


@pytest.mark.slow
def test_moving_the_folders_keeps_every_chapter_and_the_tables(project, monkeypatch):
    root, data, _, build = project
    assert build().ok
    moved = root / "moved"
    moved.mkdir()
    shutil.move(root / "processed", moved / "processed")
    shutil.move(data, moved / "data")

    import fouanalys.ingest.processing

    def no_processing(*a, **kw):
        raise AssertionError("processing ran after the folders were moved")

    monkeypatch.setattr(fouanalys.ingest.processing, "process", no_processing)
    again = build(data_dir=moved / "data", processed_dir=moved / "processed")
    assert again.ok and executed(again) == set()


# --- leftovers ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_processing_step_leaves_nothing_after_the_next_build(project):
    root, data, notebooks, build = project
    processed = root / "processed"
    shutil.rmtree(processed)  # the prepared tables: this build must process the data itself
    # Processing that stops for good once its first table is staged, and is killed there.
    stalling = root / "stalling"
    prelude = (
        "import time\nfrom pathlib import Path\nimport fouanalys.ingest.processing as p\n"
        f"def stall(path):\n    Path({str(stalling)!r}).touch()\n    time.sleep(600)\n"
        "p.sha256_file = stall\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", _build_script(root, data, notebooks, prelude=prelude)],
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not stalling.exists():  # the first staged table is written, its hash never is
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    assert list(processed.glob(".staging-*/enkat.parquet"))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(processed.glob(".staging-*"))  # respondent-level rows left behind
    summary = build()
    assert summary.ok
    assert not list(processed.glob(".staging-*"))
    assert not list(processed.glob(".*.tmp")) and not list((root / "reports").rglob(".*.tmp*"))
    assert not (processed / OWNER_FILE).exists()


def test_leftovers_are_what_a_build_makes_only_while_it_runs(tmp_path):
    processed, reports = tmp_path / "p", tmp_path / "r"
    (processed / ".staging-abc").mkdir(parents=True)
    (processed / ".staging-abc" / "enkat.parquet").write_bytes(b"x")
    (reports / "0125" / ".03_insatser.tmp-xyz").mkdir(parents=True)
    (reports / "0125" / ".index.html.k2j3.tmp").write_text("half")
    kept = [processed / "enkat.parquet", reports / "0125" / "03_insatser.html"]
    for path in kept:
        path.write_text("whole")
    removed = lock.remove_leftovers([processed, reports])
    assert len(removed) == 3
    assert sorted(p.name for p in processed.iterdir()) == ["enkat.parquet"]
    assert sorted(p.name for p in (reports / "0125").iterdir()) == ["03_insatser.html"]


# --- output folders -------------------------------------------------------------------------


def test_unusable_output_folders_are_named(tmp_path):
    afile = tmp_path / "rapport.txt"
    afile.write_text("x")
    with pytest.raises(OutputFolderError, match="är en fil, inte en mapp") as err:
        checked_folder(afile, "rapportmappen", "--reports-dir")
    assert str(afile) in str(err.value) and "--reports-dir" in str(err.value)
    with pytest.raises(OutputFolderError, match="ligger på vägen dit"):
        checked_folder(afile / "under", "rapportmappen", "--reports-dir")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OutputFolderError, match="slinga"):
        checked_folder(tmp_path / "a" / "reports", "rapportmappen", "--reports-dir")
    assert checked_folder(tmp_path / "new" / "r", "x", "--y") == (tmp_path / "new" / "r")
    assert not (tmp_path / "new").exists()  # checking makes nothing


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fouanalys", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _one_line_error(proc: subprocess.CompletedProcess, *expected: str) -> None:
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "oväntat fel" not in proc.stderr
    for text in expected:
        assert text in lines[0]


def test_a_read_only_reports_folder_stops_the_build_before_validation(tmp_path):
    shutil.copytree(EXAMPLE_DATA_DIR, tmp_path / "data")
    if os.geteuid() == 0:  # permission bits do not bind root; sysfs takes no file from anyone
        reports = Path("/sys/kernel")
    else:
        reports = tmp_path / "reports"
        reports.mkdir()
        reports.chmod(0o555)
    started = time.monotonic()
    proc = _cli(
        [
            "build",
            "--data-dir",
            str(tmp_path / "data"),
            "--processed-dir",
            str(tmp_path / "processed"),
            "--reports-dir",
            str(reports),
            "--no-progress",
        ],
        cwd=tmp_path,
    )
    _one_line_error(proc, str(reports), "behörighet att skriva saknas", "--reports-dir")
    assert time.monotonic() - started < 30
    assert not (tmp_path / "processed").exists()  # stopped before validation and processing
    assert not (tmp_path / "data-validering").exists()


def test_a_file_or_a_link_loop_as_output_folder_is_one_line(tmp_path):
    afile = tmp_path / "reports"
    afile.write_text("not a folder")
    proc = _cli(
        ["build", "--reports-dir", str(afile), "--processed-dir", str(tmp_path / "p")],
        cwd=tmp_path,
    )
    _one_line_error(proc, str(afile), "är en fil")
    assert not (tmp_path / "p").exists()
    (tmp_path / "x").symlink_to(tmp_path / "y")
    (tmp_path / "y").symlink_to(tmp_path / "x")
    proc = _cli(
        ["build", "--processed-dir", str(tmp_path / "x" / "p"), "--reports-dir", str(tmp_path)],
        cwd=tmp_path,
    )
    _one_line_error(proc, "slinga", "--processed-dir")
    proc = _cli(["validate", "--report-dir", str(afile)], cwd=tmp_path)
    _one_line_error(proc, str(afile), "--report-dir")


def test_validate_takes_the_reports_folders_lock(tmp_path):
    folder = tmp_path / "reports"
    holder = _hold_lock(folder)
    try:
        started = time.monotonic()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fouanalys",
                "validate",
                "--data-dir",
                str(EXAMPLE_DATA_DIR),
                "--report-dir",
                str(folder / "validation"),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(4)
        assert proc.poll() is None  # waiting
        holder.kill()
        holder.wait()
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and f"process {holder.pid}" in err
        assert time.monotonic() - started > 4
        assert (folder / "validation" / "index.html").is_file()
        assert (folder / LOCK_FILE).exists()
    finally:
        if holder.poll() is None:
            holder.kill()


def test_build_accepts_no_wait(tmp_path):
    folder = tmp_path / "r"
    holder = _hold_lock(folder)
    try:
        proc = _cli(
            ["build", "--no-wait", "--reports-dir", str(folder), "--processed-dir", str(folder)],
            cwd=tmp_path,
        )
        _one_line_error(proc, f"process {holder.pid}", "--no-wait")
    finally:
        holder.kill()
        holder.wait()
