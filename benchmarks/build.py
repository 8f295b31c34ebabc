"""Benchmark: the whole build, against the straightforward command-line loop, in one run.

Run from the repository root::

    .venv/bin/python benchmarks/build.py                 # (a) (b) (c) (d) and the overhead
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
(d) **26 municipalities**: a cold build of synthetic data for a codebook with all 26
    municipalities of Stockholm County (``$FOUANALYS_CODEBOOK``), to show how time grows.
Also the **per-notebook overhead**: papermill on an empty notebook (kernel start) and on one
that only imports what the chapters import.

Every command runs as its own process, so imports and start-up count. Besides wall time, each
part's CPU time (user + system of the command and all its processes: workers, kernels) is
divided by the number of notebooks: **core-seconds per chapter**.

Targets (issue 23): (a) at most 5 core-seconds per chapter and at least 8× faster than (b);
(c) under 1 s; growth linear in municipalities.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "data" / "raw" / "example"
NOTEBOOKS = ROOT / "notebooks"

#: The 26 municipalities of Stockholm County (SCB codes).
COUNTY = {
    "0114": "Upplands Väsby", "0115": "Vallentuna", "0117": "Österåker", "0120": "Värmdö",
    "0123": "Järfälla", "0125": "Ekerö", "0126": "Huddinge", "0127": "Botkyrka",
    "0128": "Salem", "0136": "Haninge", "0138": "Tyresö", "0139": "Upplands-Bro",
    "0140": "Nykvarn", "0160": "Täby", "0162": "Danderyd", "0163": "Sollentuna",
    "0180": "Stockholm", "0181": "Södertälje", "0182": "Nacka", "0183": "Sundbyberg",
    "0184": "Solna", "0186": "Lidingö", "0187": "Vaxholm", "0188": "Norrtälje",
    "0191": "Sigtuna", "0192": "Nynäshamn",
}  # fmt: skip


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], env: dict | None = None) -> float:
    """Run a command, fail loudly, return its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


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
    return run(
        [
            str(BIN / "python"), "-m", "fouanalys", "build", "--no-progress",
            "--data-dir", str(data),
            "--processed-dir", str(out / "processed"),
            "--reports-dir", str(out / "reports"),
        ],
        env,
    )  # fmt: skip


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


def county_codebook(path: Path) -> None:
    """The packaged codebook with the county's 26 municipalities and a county-wide region."""
    from fouanalys.config import PACKAGED_CODEBOOK

    book = yaml.safe_load(PACKAGED_CODEBOOK.read_text(encoding="utf-8"))
    book["municipalities"] = [{"code": c, "name": n} for c, n in COUNTY.items()]
    book["region"] = {"code": "NV", "name": "Stockholms län (26 kommuner, benchmark)"}
    path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False), encoding="utf-8")


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
    parser.add_argument("--only", default="a,b,c,d,o", help="which parts: a,b,c,d,o")
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
        if "b" in parts:
            results["b"], cpu["b"] = timed(straightforward, EXAMPLE, tmp / "b", codes)
            print(f"(b) papermill + nbconvert CLI loop:     {results['b']:7.1f} s")
            print(f"    CPU {cpu['b']:.0f} s: {cpu['b'] / count:.1f} core-seconds per chapter")
            if "a" in results:
                ratio = results["b"] / results["a"]
                print(f"    (a) is {ratio:.1f}× faster than (b) ({cpu['b'] / cpu['a']:.1f}× in "
                      f"CPU)   target ≥ 8×: {'met' if ratio >= 8 else 'MISSED'}")  # fmt: skip
        if "d" in parts:
            book = tmp / "county.yaml"
            county_codebook(book)
            env = os.environ | {"FOUANALYS_CODEBOOK": str(book)}
            data = tmp / "county-data"
            run([str(BIN / "python"), "-m", "fouanalys", "synth", "--out", str(data)], env)
            results["d"] = tool_build(data, tmp / "d", env)
            print(f"(d) cold build, 26 municipalities:      {results['d']:7.1f} s")
            if "a" in results:
                per8, per26 = results["a"] / len(codes), results["d"] / len(COUNTY)
                print(f"    per municipality: {per8:.1f} s with {len(codes)}, {per26:.1f} s "
                      f"with {len(COUNTY)} (ratio {per26 / per8:.2f}; 1.00 = linear)")  # fmt: skip
        if "o" in parts:
            for name, seconds in overhead(tmp).items():
                print(f"    overhead, {name + ':':34} {seconds:5.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
