"""The command line: exit codes, plain messages, no tracebacks unless asked for."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from fouanalys.cli import main
from fouanalys.config import EXAMPLE_DATA_DIR, REPORTS_DIR


@pytest.fixture
def broken_data(tmp_path):
    """A copy of the example data with an unknown level on the third intervention."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA_DIR, data)
    path = data / "insatser.csv"
    text = path.read_bytes().decode("cp1252")
    lines = text.split("\r\n")
    header = lines[0].split(";")
    col = header.index("niva")
    cells = lines[3].split(";")
    cells[col] = "förebyga"
    lines[3] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return data


def test_help_and_version_exit_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert "fouanalys" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [[], ["flyga"], ["build", "--jobs", "0"], ["synth", "--scale", "-1"]]
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_synth_for_more_municipalities_says_how_to_build(tmp_path, capsys):
    out = tmp_path / "d"
    argv = ["synth", "--out", str(out), "--scale", "0.05", "--municipalities", "10"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"FOUANALYS_CODEBOOK={out / 'kodbok.yaml'} fouanalys build --data-dir {out}" in printed
    assert (out / "kodbok.yaml").is_file()
    assert main(["synth", "--out", str(tmp_path / "e"), "--municipalities", "1"]) == 1
    assert "Antalet kommuner ska vara 2–1025" in capsys.readouterr().err


def test_validate_example_data_is_valid(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["validate", "--data-dir", str(EXAMPLE_DATA_DIR), "--report-dir", str(tmp_path / "v")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "giltiga" in out and "enkat" in out
    assert f"Valideringsrapport: {tmp_path / 'v' / 'index.html'}" in out
    assert "Godkänd" in (tmp_path / "v" / "index.html").read_text(encoding="utf-8")


def test_validate_of_other_data_keeps_the_builds_page(broken_data, capsys):
    """A validation of other data writes its own page beside that data and says where; the
    build's page (reports/validation) is left alone."""
    build_page = REPORTS_DIR / "validation" / "index.html"
    before = build_page.stat().st_mtime_ns if build_page.exists() else None
    assert main(["validate", "--data-dir", str(broken_data)]) == 1
    own = broken_data.parent / f"{broken_data.name}-validering" / "index.html"
    assert str(own) in capsys.readouterr().err
    assert "Underkänd" in own.read_text(encoding="utf-8")
    assert (build_page.stat().st_mtime_ns if build_page.exists() else None) == before


def test_validate_names_file_column_row_and_value(broken_data, capsys):
    assert main(["validate", "--data-dir", str(broken_data)]) == 1
    err = capsys.readouterr().err
    assert "insatser.csv" in err and "niva" in err and "förebyga" in err
    assert "rad 4" in err  # header is row 1, so the third intervention is spreadsheet row 4
    assert "Traceback" not in err


def test_missing_data_dir_is_a_plain_error(tmp_path, capsys):
    assert main(["validate", "--data-dir", str(tmp_path / "finns-inte")]) == 1
    err = capsys.readouterr().err
    assert "finns-inte" in err and "Traceback" not in err


def test_build_with_invalid_data_runs_nothing_and_keeps_processed_tables(
    broken_data, tmp_path, capsys, monkeypatch
):
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "manifest.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr("fouanalys.config.PROCESSED_DATA_DIR", processed)
    monkeypatch.setattr("fouanalys.build.runner.REPORTS_DIR", tmp_path / "reports")
    from fouanalys.build import runner

    monkeypatch.setattr(
        runner, "build", _with_defaults(runner.build, processed, tmp_path / "reports")
    )
    assert main(["build", "--data-dir", str(broken_data), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "niva" in err and "Traceback" not in err
    assert (processed / "manifest.json").read_text(encoding="utf-8") == "{}"
    assert not (tmp_path / "reports" / "0123").exists()


def _with_defaults(func, processed, reports):
    def wrapped(**kwargs):
        return func(processed_dir=processed, reports_dir=reports, **kwargs)

    return wrapped


def test_verbose_shows_the_traceback(tmp_path, capsys):
    assert main(["--verbose", "validate", "--data-dir", str(tmp_path / "finns-inte")]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "fouanalys", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "validate" in proc.stdout and "build" in proc.stdout and "synth" in proc.stdout
