# ruff: noqa: F811  (the fixture `prepared` is imported from support)
"""Ctrl-C and SIGTERM stop a build within seconds, keep the finished chapters and leave the rest
to the next build (:mod:`fouanalys.build.interrupt`).

Each test runs the ``fouanalys build`` command (``cli.main``) as a person would, in its own
process, on one municipality with HTML only, over every registry entry; the example data is
processed once for the session and its processed folder copied into each test, so the builds
go straight to the chapters. The chapters are small stand-ins (``support.stand_in_notebook``)
with the real parameters cells, in the project's kernel: the first entry finishes at once,
every other one waits while a marker file exists, so a signal always finds chapters
executing; the marker goes right after the signal, so those chapters would finish at once
unless the build stops them as it promises.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from support import prepared, write_stand_ins  # noqa: F401 (a fixture)

from fouanalys.chapters import registry
from fouanalys.exceptions import BuildInterrupted

CODE = "0123"
#: Seconds a stopped build may take to exit (the issue's promise).
LIMIT = 5.0
#: A chapter being installed at the instant of the signal completes its install (milliseconds).
INSTALLING = 0.2
#: Environment variable marking the processes of this module's builds (their kernels too).
MARK = "FOUANALYS_TEST_INTERRUPT"
LAST_LINE = re.compile(
    r"fouanalys: avbrutet \((SIGINT|SIGTERM)\) efter (\d+) av (\d+) kapitel; "
    r"nästa 'fouanalys build' gör resten\."
)


@pytest.fixture
def folders(prepared, tmp_path) -> tuple[Path, Path, Path, Path]:
    """``(data_dir, processed_dir, reports_dir, notebooks_dir)`` for one test; processing is
    already done, and the notebooks are stand-ins: the first entry runs through, the others
    wait while ``tmp_path / "stall"`` exists (:func:`release` removes it)."""
    data, processed = prepared
    shutil.copytree(processed, tmp_path / "p")
    notebooks = tmp_path / "notebooks"
    first, *others = registry.entry_ids()
    write_stand_ins(notebooks, [first])
    write_stand_ins(notebooks, others, stall_while=tmp_path / "stall")
    (tmp_path / "stall").touch()
    return data, tmp_path / "p", tmp_path / "r", notebooks


def release(folders) -> None:
    """Let the stalled stand-in chapters run through (their kernels, unless stopped, would
    finish them within a fraction of a second)."""
    (folders[3].parent / "stall").unlink()


#: ``fouanalys build`` (the command's ``cli.main``) on the stand-in notebooks in ``argv[1]``.
BUILD_COMMAND = (
    "import sys\nfrom pathlib import Path\nfrom fouanalys import cli\n"
    "from fouanalys.build import runner\n"
    "real = runner.build\n"
    "def build(*args, **kw):\n    return real(*args, notebooks_dir=Path(sys.argv[1]), **kw)\n"
    "runner.build = build\n"
    "sys.exit(cli.main(sys.argv[2:]))\n"
)


def start_build(folders, *options: str) -> subprocess.Popen:
    """``fouanalys build`` of one municipality, HTML only, in a session of its own (as a
    terminal starts it: Ctrl-C goes to its whole process group)."""
    data, processed, reports, notebooks = folders
    command = [
        sys.executable,
        "-c",
        BUILD_COMMAND,
        str(notebooks),
        "build",
        "--data-dir",
        str(data),
        "--processed-dir",
        str(processed),
        "--reports-dir",
        str(reports),
        "-m",
        CODE,
        "--no-progress",
        "--formats",
        "html",
        *options,
    ]
    return subprocess.Popen(
        command,
        env=os.environ | {MARK: str(os.getpid())},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def keys(reports: Path) -> list[Path]:
    """The key files of the chapters installed under ``reports`` (a key: a whole chapter)."""
    return sorted(k for k in reports.rglob("*.key.json") if k.name != "slutrapport.key.json")


def stop_after_first_chapter(proc: subprocess.Popen, folders, send) -> dict:
    """Wait until a chapter is installed and another one is executing, ``send`` the signal,
    let the stalled chapters run on (:func:`release`), wait for the build to exit.

    Returns when the signal was sent, the exit status, the seconds until exit and stderr.
    """
    reports, running = folders[2], folders[3].parent / "stall.running"
    deadline = time.monotonic() + 300
    while not (keys(reports / CODE) and running.exists()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no chapter was installed and executing in 300 s"
        time.sleep(0.1)
    sent = time.time()
    send(proc.pid)
    release(folders)  # the stalled chapters would finish now: the build must not install them
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        pytest.fail(f"the build did not stop within 30 s:\n{stderr}")
    return {
        "sent": sent,
        "status": proc.returncode,
        "seconds": time.time() - sent,
        "stderr": stderr,
    }


def kernels_left() -> list[psutil.Process]:
    """Jupyter kernels still running that this module's builds started: those with the mark
    of :func:`start_build` in their environment (a stopped build's orphans) and those under
    this process (a local Dask cluster's workers)."""
    mine = {p.pid for p in psutil.Process().children(recursive=True)}
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        with contextlib.suppress(psutil.Error):
            if "ipykernel_launcher" not in " ".join(proc.info["cmdline"] or []):
                continue
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if proc.pid in mine or proc.environ().get(MARK) == str(os.getpid()):
                found.append(proc)
    return found


def assert_stopped_cleanly(stop: dict, reports: Path, signame: str) -> int:
    """The promises of a stopped build; returns how many chapters it says are finished."""
    assert stop["status"] == 128 + signal.Signals[signame].value, stop["stderr"]
    assert stop["seconds"] < LIMIT, stop["stderr"]
    stderr = stop["stderr"]
    assert "Traceback" not in stderr and "Task exception" not in stderr, stderr
    match = LAST_LINE.fullmatch(stderr.strip().splitlines()[-1])
    assert match, stderr
    assert match[1] == signame
    finished = keys(reports)
    assert int(match[2]) == len(finished) >= 1
    assert int(match[3]) > len(finished)
    late = [k.name for k in finished if k.stat().st_mtime > stop["sent"] + INSTALLING]
    assert late == []  # no chapter finished after the signal
    assert list(reports.rglob("*.tmp-*")) == []  # half-done chapters are gone
    for key in finished:  # a chapter with a key is whole
        assert key.with_name(key.name.replace(".key.json", ".html")).is_file()
    for notebook in (reports / CODE).glob("*.ipynb"):  # nothing half-done in place
        assert notebook.with_suffix(".key.json").is_file() or notebook.name.startswith(
            "slutrapport"
        ), notebook
    assert not (reports / "index.html").exists()  # the build stopped before its index
    time.sleep(0.5)
    assert kernels_left() == []
    return len(finished)


def test_the_cli_ends_an_interrupted_build_with_the_count_and_the_signal(monkeypatch, capsys):
    from fouanalys import cli

    def interrupted(args):
        raise BuildInterrupted(signal.SIGTERM, 3, 9)

    monkeypatch.setattr(cli, "cmd_build", interrupted)
    assert cli.main(["build"]) == 143
    assert capsys.readouterr().err.strip().splitlines() == [
        "fouanalys: avbrutet (SIGTERM) efter 3 av 9 kapitel; nästa 'fouanalys build' gör resten."
    ]


def test_sigterm_outside_the_chapters_stops_a_command_quietly():
    """SIGTERM while a command works (validation, processing, final reports) stops it as
    Ctrl-C does, its clean-ups run and it exits 143 with one line."""
    code = (
        "import os, signal, sys, time\nfrom fouanalys import cli\n"
        "def work(args):\n    os.kill(os.getpid(), signal.SIGTERM)\n    time.sleep(30)\n"
        "cli.cmd_synth = work\nsys.exit(cli.main(['synth', '--out', 'x']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stderr.strip()) == (143, "fouanalys: avbrutet (SIGTERM).")


def marks(summary: str) -> dict[str, str]:
    """Each chapter of a build summary, as ``folder/chapter``, with its mark ("klar",
    "oförändrad", "MISSLYCKADES")."""
    from fouanalys.codebook import load_codebook

    region = load_codebook().region.code
    line = re.compile(r"\s+(\S+) .+? (\S+)\s+(klar|oförändrad|MISSLYCKADES)\s+[\d.]+ s")
    found = {}
    for match in map(line.fullmatch, summary.splitlines()):
        if match:
            folder = "region" if match[1] == region else match[1]
            found[f"{folder}/{match[2]}"] = match[3]
    return found


@pytest.mark.slow
def test_sigint_keeps_finished_chapters_and_the_next_build_does_the_rest(folders):
    reports = folders[2]
    proc = start_build(folders, "--jobs", "2")
    stop = stop_after_first_chapter(proc, folders, lambda pid: os.kill(pid, signal.SIGINT))
    n = assert_stopped_cleanly(stop, reports, "SIGINT")
    finished = {k.parent.name + "/" + k.name.removesuffix(".key.json") for k in keys(reports)}

    again = start_build(folders, "--jobs", "2")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    done = marks(out)
    assert {c for c, mark in done.items() if mark == "oförändrad"} == finished
    assert len(done) > n and all(mark in ("klar", "oförändrad") for mark in done.values())
    assert (reports / "index.html").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("jobs", "send", "signame"),
    [
        # A terminal sends Ctrl-C to the whole process group: the worker processes get it too.
        ("2", lambda pid: os.killpg(pid, signal.SIGINT), "SIGINT"),
        # One process: the chapter runs in the build's own process.
        ("1", lambda pid: os.kill(pid, signal.SIGTERM), "SIGTERM"),
    ],
    ids=["ctrl-c-in-a-terminal", "sigterm-one-process"],
)
def test_a_signal_stops_the_build(folders, jobs, send, signame):
    reports = folders[2]
    proc = start_build(folders, "--jobs", jobs)
    stop = stop_after_first_chapter(proc, folders, send)
    assert_stopped_cleanly(stop, reports, signame)


@pytest.mark.slow
def test_sigint_stops_a_build_on_a_dask_cluster(folders):
    from distributed import LocalCluster

    reports = folders[2]
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        proc = start_build(folders, "--scheduler", cluster.scheduler_address)
        stop = stop_after_first_chapter(proc, folders, lambda pid: os.kill(pid, signal.SIGINT))
        assert stop["status"] == 130, stop["stderr"]
        assert stop["seconds"] < LIMIT, stop["stderr"]
        assert "Traceback" not in stop["stderr"], stop["stderr"]
        match = LAST_LINE.fullmatch(stop["stderr"].strip().splitlines()[-1])
        assert match and int(match[2]) == len(keys(reports)), stop["stderr"]
        late = [k.name for k in keys(reports) if k.stat().st_mtime > stop["sent"] + INSTALLING]
        assert late == []
        assert list(reports.rglob("*.tmp-*")) == []
        assert not (reports / "index.html").exists()
        deadline = time.monotonic() + 5  # the worker hears of the stop and ends its kernel
        while kernels_left() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kernels_left() == []
