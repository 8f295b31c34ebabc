"""Benchmark: the whole build, against the straightforward command-line loop, in one run.

Run from the repository root::

    .venv/bin/python benchmarks/build.py                 # (a) to (e) and the overhead
    .venv/bin/python benchmarks/build.py --only a,c      # a subset

(a) **Cold build with the tool**: ``fouanalys build`` into empty processed and reports folders
    on the embedded example (every registry entry: 8 municipalities × (5 chapters + 1 seminar
    deck) + the regional chapter and its 4 theme decks = 53 notebooks, HTML and PDF, and the
    final reports).
(b) **The straightforward way**: the same processing once, then for every notebook of (a) the
    ``papermill`` command line followed by ``jupyter nbconvert --to fouanalys_html`` and
    ``--to fouanalys_pdf`` (``fouanalys_slides``/``fouanalys_slides_pdf`` for a deck: the
    project's own exporters, so the HTML and PDF are the same), one after another.
(c) **No-change rebuild**: ``fouanalys build`` again on (a)'s folders, as a new process.
(d) **Growth**: cold builds of synthetic data for 26 and 100 municipalities (``fouanalys
    synth --municipalities N``: Stockholm County's 26, then made-up ones, with a codebook
    listing them, used through ``$FOUANALYS_CODEBOOK``), every chapter and deck: wall time,
    core-seconds (user + sys of the build and its children), cost per municipality and per
    chapter, and the peak memory of the build's whole process tree (proportional set sizes
    summed, so that the pages the forked workers share with the build count once; the summed
    resident sizes, which count them in every process, are printed beside).
(e) **One municipality's change**: on (a)'s folders, a copy of the example data (nothing
    should re-run), then one of Ekerö's interventions with more participants (its mapping:
    only Ekerö's chapters and the region's should re-run), then one Ekerö pupil's answers fewer
    (its survey: also what other municipalities print of the region's survey figures).
Also the **per-notebook overhead**: papermill on an empty notebook (kernel start) and on one
that only imports what the chapters import.

Every command runs as its own process, so imports and start-up count. Besides wall time, each
part's CPU time (user + system of the command and all its processes: workers, kernels) is
divided by the number of notebooks: **core-seconds per chapter**.

Targets (issue 23): (a) at most 5 core-seconds per chapter and at least 8× faster than (b);
(c) under 1 s; (d) the cost per municipality stays flat from 26 to 100 municipalities and
the peak memory stays under 4 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "data" / "raw" / "example"
NOTEBOOKS = ROOT / "notebooks"
#: (d): the peak memory target of a build's whole process tree, and how far the cost per
#: municipality may rise from the smallest size to the largest and still count as flat.
MEMORY_TARGET = 4 * 1024**3
FLAT_WITHIN = 1.15


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], env: dict | None = None) -> float:
    """Run a command, fail loudly, return its wall time in seconds."""
    return run_output(cmd, env)[0]


def run_output(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    """Run a command, fail loudly, return its wall time in seconds and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def timed(job, *args) -> tuple[float, float]:
    """``job(*args)``'s wall time (what it returns) and the CPU time of the processes it ran."""
    before = children_cpu()
    wall = job(*args)
    return wall, children_cpu() - before


def notebooks(codes: list[str]) -> list[tuple[str, str]]:
    """Every (municipality or region code, registry entry) a full build executes."""
    from fouanalys.chapters import registry

    units = [(code, e) for code in codes for e in registry.entry_ids("municipality")]
    return units + [("NV", e) for e in registry.entry_ids("region")]


def tool_build(data: Path, out: Path, env: dict | None = None) -> float:
    return tool_build_output(data, out, env)[0]


def tool_build_output(data: Path, out: Path, env: dict | None = None) -> tuple[float, str]:
    return run_output(
        [
            str(BIN / "python"), "-m", "fouanalys", "build", "--no-progress",
            "--data-dir", str(data),
            "--processed-dir", str(out / "processed"),
            "--reports-dir", str(out / "reports"),
        ],
        env,
    )  # fmt: skip


def _more_participants(data: Path, code: str = "0125") -> None:
    """One of the municipality's interventions with five more participants a year."""
    import csv
    import io

    path = data / "insatser.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp1252")), delimiter=";"))
    column = rows[0].index("deltagare_per_ar")
    row = next(r for r in rows[1:] if r[0] == code and r[column])
    row[column] = str(int(row[column]) + 5)
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_bytes(text.getvalue().encode("cp1252"))


def _one_pupil_fewer(data: Path, name: str = "Ekerö") -> None:
    """The survey without one of the municipality's pupils."""
    import gzip

    path = data / "enkat.csv.gz"
    rows = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    rows.pop(next(i for i, row in enumerate(rows) if f",{name},{name}," in row))
    path.write_bytes(gzip.compress("\n".join(rows).encode("utf-8")))


def rerun_scope(tmp: Path, codes: list[str]) -> None:
    """(e): rebuild (a)'s folders after one change at a time to a copy of the example data;
    print which chapters each rebuild executed (the build's summary marks them "klar")."""
    from fouanalys.chapters import registry
    from fouanalys.codebook import load_codebook

    codebook = load_codebook()
    names = {code: codebook.municipality_name(code) for code in codes}
    own, regional = len(registry.entry_ids("municipality")), len(registry.entry_ids("region"))
    data = tmp / "e-data"
    shutil.copytree(EXAMPLE, data)
    print("(e) one municipality's change, rebuilt on (a)'s folders:")
    for label, change in (
        ("the same data in another folder", None),
        ("one of Ekerö's interventions, 5 more participants a year", _more_participants),
        ("one Ekerö pupil's answers fewer in the survey", _one_pupil_fewer),
    ):
        if change is not None:
            change(data)
        wall, printed = tool_build_output(data, tmp / "a")
        ran: dict[str, list[str]] = {}
        for line in printed.splitlines():
            parts = line.split()
            # "  0125 Ekerö  03_insatser  klar  12.3 s": code, name, chapter, mark, seconds
            if len(parts) >= 5 and parts[0] in (*codes, "NV") and parts[-3] == "klar":
                ran.setdefault(parts[0], []).append(parts[-4])
        others = {c: ran[c] for c in ran if c not in ("0125", "NV")}
        print(f"    {label}: {wall:.1f} s; re-ran Ekerö {len(ran.get('0125', []))} of {own}, "
              f"the region {len(ran.get('NV', []))} of {regional}, other municipalities "
              f"{sum(map(len, others.values()))} of {own * (len(codes) - 1)}"
              + (f" ({', '.join(sorted({c for cs in others.values() for c in cs}))} in "
                 f"{', '.join(names[c] for c in others)})" if others else ""))  # fmt: skip


def straightforward(data: Path, out: Path, codes: list[str]) -> float:
    processed = out / "processed"
    started = time.perf_counter()
    run(
        [
            str(BIN / "python"), "-c",
            "from pathlib import Path; from fouanalys.ingest.processing import process; "
            f"process(Path({str(data)!r}), Path({str(processed)!r}), "
            f"report_dir=Path({str(out / 'validation')!r}))",
        ]
    )  # fmt: skip
    from fouanalys.chapters import registry

    for code, entry in notebooks(codes):
        folder = out / "reports" / ("region" if code == "NV" else code)
        folder.mkdir(parents=True, exist_ok=True)
        executed = folder / f"{entry}.ipynb"
        extra = [a for k, v in registry.parameters(entry).items() for a in ("-p", k, str(v))]
        run(
            [
                str(BIN / "papermill"), str(NOTEBOOKS / registry.notebook_file(entry)),
                str(executed), "-k", "fouanalys", "--no-progress-bar", "--cwd", str(NOTEBOOKS),
                "-p", "municipality", code, "-p", "processed_dir", str(processed), *extra,
            ]
        )  # fmt: skip
        deck = registry.kind(entry) == "deck"
        formats = (
            ("fouanalys_slides", "fouanalys_slides_pdf")
            if deck
            else ("fouanalys_html", "fouanalys_pdf")
        )
        for fmt in formats:
            run([str(BIN / "jupyter"), "nbconvert", "--to", fmt, str(executed)])
    return time.perf_counter() - started


@dataclass(frozen=True)
class Measured:
    """One command's cost: wall seconds, core-seconds (user + sys of it and its children)
    and the peaks of its process tree's memory, in bytes: ``peak`` the proportional set sizes
    summed (a page shared by several processes counted once in all, split between them: the
    memory the tree holds), ``peak_rss`` the resident sizes summed (a shared page counted in
    every process that maps it: the build's workers are forked from it and share its pages)."""

    wall: float
    cpu: float
    peak: int
    peak_rss: int


def _tree_memory(proc: psutil.Process) -> tuple[int, int]:
    """Proportional and resident memory of a process and all its descendants now, each
    summed (those gone count 0; without proportional sizes, as on macOS, resident twice)."""
    pss = rss = 0
    try:
        tree = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for p in tree:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            info = p.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
    return pss, rss


def measured_run(cmd: list[str], env: dict | None = None, every: float = 0.5) -> Measured:
    """Run a command as a child and measure it: core-seconds from ``RUSAGE_CHILDREN`` before
    and after (the child's and every descendant it waited for), peak memory by sampling the
    tree's summed proportional and resident sizes every ``every`` seconds in a thread."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak, stop = [0, 0], threading.Event()

    def sample() -> None:
        proc = psutil.Process(child.pid)
        while not stop.is_set():
            pss, rss = _tree_memory(proc)
            peak[:] = max(peak[0], pss), max(peak[1], rss)
            stop.wait(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out[-2000:]}\n{err[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Measured(wall, cpu, peak[0], peak[1])


def growth(tmp: Path, sizes: list[int], formats: str) -> dict[int, Measured]:
    """(d): for each size, synthetic data for that many municipalities (not timed), then a
    cold build of every chapter and deck with the codebook that lists them; prints each."""
    from fouanalys.chapters.registry import entry_ids
    from fouanalys.ingest.synthetic import CODEBOOK_FILE

    own, regional = len(entry_ids("municipality")), len(entry_ids("region"))
    print(f"(d) growth: synthetic data, every chapter and deck ({own} per municipality, "
          f"{regional} for the region), {formats}")  # fmt: skip
    results = {}
    for n in sizes:
        data = tmp / f"synth-{n}"
        run([str(BIN / "python"), "-m", "fouanalys", "synth", "--out", str(data),
             "--municipalities", str(n)])  # fmt: skip
        env = os.environ | {"FOUANALYS_CODEBOOK": str(data / CODEBOOK_FILE)}
        out = tmp / f"d-{n}"
        m = results[n] = measured_run(
            [
                str(BIN / "python"), "-m", "fouanalys", "build", "--no-progress",
                "--data-dir", str(data), "--formats", formats,
                "--processed-dir", str(out / "processed"),
                "--reports-dir", str(out / "reports"),
            ],
            env,
        )  # fmt: skip
        chapters = n * own + regional
        print(f"    {n:4} municipalities, {chapters:4} chapters: {m.wall:7.1f} s wall, "
              f"{m.cpu:7.1f} core-s; per municipality {m.cpu / n:5.1f} core-s "
              f"({m.wall / n:5.1f} s wall), per chapter {m.cpu / chapters:4.1f} core-s; "
              f"peak memory {m.peak / 1024**3:4.2f} GB (resident, shared pages counted in "
              f"each process: {m.peak_rss / 1024**3:4.2f} GB)   target < 4 GB: "
              f"{'met' if m.peak < MEMORY_TARGET else 'MISSED'}")  # fmt: skip
        shutil.rmtree(out, ignore_errors=True)
    if len(results) > 1:
        low, high = min(results), max(results)
        ratio = (results[high].cpu / high) / (results[low].cpu / low)
        print(f"    core-s per municipality, {high} vs {low}: ratio {ratio:.2f}   target flat "
              f"(≤ {FLAT_WITHIN:.2f}): {'met' if ratio <= FLAT_WITHIN else 'MISSED'}")  # fmt: skip
    return results


def overhead(tmp: Path) -> dict[str, float]:
    """papermill on an empty notebook and on one that imports what chapter 05 imports."""
    out = {}
    for name, source in [
        ("kernel start (empty notebook)", "x = 1"),
        (
            "kernel start + chapter imports",
            "%matplotlib inline\nfrom fouanalys import collaboration, config, network, "
            "recruitment\nfrom fouanalys.chapters import insatser, natverk, riskfaktorer, "
            "underlag\nfrom fouanalys.present import captioned, table",
        ),
    ]:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source)]
        path = tmp / "overhead.ipynb"
        nbformat.write(nb, path)
        times = [
            run([str(BIN / "papermill"), str(path), str(tmp / "o.ipynb"), "-k", "fouanalys",
                 "--no-progress-bar"])
            for _ in range(3)
        ]  # fmt: skip
        out[name] = min(times)
    return out


def chapter_seconds(reports: Path) -> list[float]:
    """Per-chapter execution times the tool recorded in the executed notebooks."""
    seconds = []
    for nb_path in reports.glob("*/*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        seconds.append(float(nb.metadata.get("papermill", {}).get("duration") or 0))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="a,b,c,d,e,o", help="which parts: a,b,c,d,e,o")
    parser.add_argument(
        "--sizes", default="26,100", help="(d): numbers of municipalities, e.g. 26,100"
    )
    parser.add_argument("--formats", default="html,pdf", help="(d): export formats")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    from fouanalys.codebook import load_codebook

    codes = load_codebook().municipality_codes
    tmp = Path(tempfile.mkdtemp(prefix="fouanalys-bench-"))
    results: dict[str, float] = {}
    cpu: dict[str, float] = {}
    count = len(notebooks(codes))
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; example data: {len(codes)} "
          f"municipalities and the region, {count} notebooks; HTML and PDF")  # fmt: skip
    try:
        if parts & {"a", "c"}:
            results["a"], cpu["a"] = timed(tool_build, EXAMPLE, tmp / "a")
            per = chapter_seconds(tmp / "a" / "reports")
            core = cpu["a"] / len(per)
            print(f"(a) cold build with the tool:           {results['a']:7.1f} s")
            print(
                f"    {len(per)} notebooks, papermill time per notebook "
                f"{min(per):.1f}–{max(per):.1f} s (mean {sum(per) / len(per):.1f} s)"
            )
            print(f"    CPU {cpu['a']:.0f} s: {core:.1f} core-seconds per chapter   "
                  f"target ≤ 5: {'met' if core <= 5 else 'MISSED'}")  # fmt: skip
        if "c" in parts:
            results["c"] = tool_build(EXAMPLE, tmp / "a")
            print(f"(c) no-change rebuild (new process):    {results['c']:7.2f} s   "
                  f"target < 1 s: {'met' if results['c'] < 1 else 'MISSED'}")  # fmt: skip
        if "e" in parts and "a" in results:
            rerun_scope(tmp, codes)
        if "b" in parts:
            results["b"], cpu["b"] = timed(straightforward, EXAMPLE, tmp / "b", codes)
            print(f"(b) papermill + nbconvert CLI loop:     {results['b']:7.1f} s")
            print(f"    CPU {cpu['b']:.0f} s: {cpu['b'] / count:.1f} core-seconds per chapter")
            if "a" in results:
                ratio = results["b"] / results["a"]
                print(f"    (a) is {ratio:.1f}× faster than (b) ({cpu['b'] / cpu['a']:.1f}× in "
                      f"CPU)   target ≥ 8×: {'met' if ratio >= 8 else 'MISSED'}")  # fmt: skip
        if "d" in parts:
            sizes = [int(n) for n in args.sizes.split(",")]
            grown = growth(tmp, sizes, args.formats)
            if "a" in results:
                n = min(grown)
                print(f"    wall per municipality: {results['a'] / len(codes):.1f} s with the "
                      f"example's {len(codes)}, {grown[n].wall / n:.1f} s with {n}")  # fmt: skip
        if "o" in parts:
            for name, seconds in overhead(tmp).items():
                print(f"    overhead, {name + ':':34} {seconds:5.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
