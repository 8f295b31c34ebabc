"""Peak memory and time of validation and processing at 1×, 10× and 30× the example survey.

For each scale the synthetic example is written with ``fouanalys synth --scale N`` (about
32 700 respondents a scale), then validation (:func:`fouanalys.ingest.validation.validate_data_dir`,
what ``fouanalys validate`` runs) and processing (:func:`fouanalys.ingest.processing.process`,
which validates again and writes the processed tables) each run in a fresh Python process. The
child reports its peak resident set (``VmHWM`` from ``/proc/self/status``: unlike
``ru_maxrss`` it is not inherited across ``exec``) and its wall time.

Target (issue 22): one million respondents validate and process in under 2 GB peak.

    .venv/bin/python benchmarks/memory.py                  # scales 1 10 30
    .venv/bin/python benchmarks/memory.py --scales 1 10    # a quicker look
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The issue's target: peak resident memory at one million respondents.
TARGET_MB = 2048
TARGET_RESPONDENTS = 1_000_000


def peak_mb() -> float:
    """This process's peak resident set so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM saknas i /proc/self/status (kräver Linux)")


def child(step: str, data_dir: Path, work: Path) -> None:
    """Run one step in this (fresh) process and print its figures as JSON."""
    start = time.perf_counter()
    if step == "validate":
        from fouanalys.ingest.validation import validate_data_dir

        report, _frames = validate_data_dir(data_dir, report_dir=work / "validation")
        ok, rows = report.ok, report.files["enkat"]["rows"]
    else:
        from fouanalys.ingest.processing import process

        manifest = process(data_dir, work / "processed", report_dir=work / "validation")
        ok, rows = True, manifest["inputs"]["enkat"]["rows"]
    seconds = time.perf_counter() - start
    print(json.dumps({"peak_mb": peak_mb(), "seconds": seconds, "ok": ok, "rows": rows}))


def run_step(step: str, data_dir: Path, work: Path) -> dict:
    """One step in a fresh interpreter; its JSON figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, str(data_dir), str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def synth(scale: int, out: Path) -> None:
    """The synthetic example at ``scale`` in ``out`` (skipped when it is already there)."""
    if (out / "enkat.csv.gz").is_file():
        return
    subprocess.run(
        [sys.executable, "-m", "fouanalys", "synth", "--out", str(out), "--scale", str(scale)],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument(
        "--work", type=Path, help="folder for the data and outputs (default: a temporary one)"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("STEP", "DATA", "WORK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        step, data, work = args.child
        child(step, Path(data), Path(work))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="fouanalys-memory-"))
    rows = []
    try:
        for scale in args.scales:
            data = work / f"scale{scale}"
            synth(scale, data)
            figures = {
                s: run_step(s, data, work / f"out{scale}-{s}") for s in ("validate", "process")
            }
            rows.append((scale, figures))
            print(f"  scale {scale}: done", file=sys.stderr, flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report(rows)


def report(rows: list[tuple[int, dict]]) -> None:
    """The table, a per-respondent figure and whether the target is met."""
    print(
        f"{'scale':>5} {'respondents':>12} {'validate MB':>12} {'s':>6} "
        f"{'process MB':>11} {'s':>6} {'< 2 GB':>7}"
    )
    for scale, f in rows:
        v, p = f["validate"], f["process"]
        met = "ja" if max(v["peak_mb"], p["peak_mb"]) < TARGET_MB else "nej"
        print(
            f"{scale:>5} {v['rows']:>12,} {v['peak_mb']:>12,.0f} {v['seconds']:>6.1f} "
            f"{p['peak_mb']:>11,.0f} {p['seconds']:>6.1f} {met:>7}"
        )
    if len(rows) >= 2:  # the marginal cost of a respondent, from the two largest scales
        (_, a), (_, b) = sorted(rows, key=lambda r: r[1]["validate"]["rows"])[-2:]
        for step in ("validate", "process"):
            extra = b[step]["rows"] - a[step]["rows"]
            per_row = (b[step]["peak_mb"] - a[step]["peak_mb"]) * 1024 / extra if extra else 0
            at_target = b[step]["peak_mb"] + per_row * (TARGET_RESPONDENTS - b[step]["rows"]) / 1024
            print(
                f"{step}: {per_row:,.2f} KB more per respondent; at {TARGET_RESPONDENTS:,} "
                f"respondents ≈ {at_target:,.0f} MB (target < {TARGET_MB:,} MB: "
                f"{'met' if at_target < TARGET_MB else 'not met'})"
            )


if __name__ == "__main__":
    main()
