"""``fouanalys lab``: the JupyterLab command line, the no-news override, the CLI (no server)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fouanalys import cli, config
from fouanalys.build import lab
from fouanalys.exceptions import FouanalysError

TOKEN = "s3cret-token"


def _option(args: list[str], name: str) -> str:
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")]
    assert len(values) == 1, (name, args)
    return values[0]


@pytest.mark.parametrize("as_root", [False, True])
def test_lab_arguments(tmp_path: Path, as_root: bool) -> None:
    args = lab.lab_arguments(tmp_path, 8899, TOKEN, "notebooks", as_root=as_root)
    assert _option(args, "ServerApp.ip") == "127.0.0.1"
    assert _option(args, "ServerApp.port") == "8899"
    assert _option(args, "ServerApp.port_retries") == "0"
    assert _option(args, "IdentityProvider.token") == TOKEN
    assert _option(args, "MappingKernelManager.default_kernel_name") == "fouanalys"
    assert _option(args, "LabApp.default_url") == "/lab/tree/notebooks"
    assert _option(args, "ServerApp.root_dir") == str(tmp_path.resolve())
    assert _option(args, "LabApp.app_settings_dir") == str(lab.lab_settings_dir())
    assert _option(args, "LabApp.news_url") == "None"
    assert ("--allow-root" in args) is as_root
    assert "--no-browser" in args


def test_lab_arguments_browser_and_root_folder(tmp_path: Path) -> None:
    args = lab.lab_arguments(
        tmp_path, 9000, TOKEN, "", open_browser=True, settings_dir=tmp_path / "s"
    )
    assert "--no-browser" not in args
    assert "--allow-root" not in args
    assert _option(args, "LabApp.default_url") == "/lab"
    assert _option(args, "LabApp.app_settings_dir") == str(tmp_path / "s")
    assert lab.lab_url(9000, TOKEN, "") == f"http://127.0.0.1:9000/lab?token={TOKEN}"
    assert lab.lab_url(9000, TOKEN) == f"http://127.0.0.1:9000/lab/tree/notebooks?token={TOKEN}"


def test_jupyterlab_accepts_the_arguments(tmp_path: Path) -> None:
    """JupyterLab's own parser takes every option and flag with the intended values."""
    from jupyterlab.labapp import LabApp

    app = LabApp()
    app.parse_command_line(lab.lab_arguments(tmp_path, 8899, TOKEN, as_root=True))
    assert app.config.IdentityProvider.token == TOKEN
    assert app.config.ServerApp.ip == "127.0.0.1"
    assert app.config.ServerApp.allow_root is True
    assert app.config.ServerApp.open_browser is False
    assert app.config.MappingKernelManager.default_kernel_name == "fouanalys"
    assert app.config.LabApp.check_for_updates_class == "jupyterlab.NeverCheckForUpdate"


def test_settings_dir_is_jupyterlabs_default() -> None:
    from jupyterlab.commands import get_app_dir

    if os.environ.get("JUPYTERLAB_DIR"):
        pytest.skip("JUPYTERLAB_DIR moves JupyterLab's application folder")
    assert lab.lab_settings_dir() == Path(get_app_dir()) / "settings"
    assert lab.lab_settings_dir().is_relative_to(sys.prefix)


def test_write_settings_overrides(tmp_path: Path) -> None:
    path = lab.write_settings_overrides(tmp_path / "settings")
    assert path == tmp_path / "settings" / "overrides.json"
    settings = json.loads(path.read_text(encoding="utf-8"))
    notification = settings["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false"  # the string "Never", per the schema
    assert notification["checkForUpdates"] is False

    # idempotent: a second call leaves the file alone
    mtime = path.stat().st_mtime_ns
    assert lab.write_settings_overrides(tmp_path / "settings") == path
    assert path.stat().st_mtime_ns == mtime


def test_write_settings_overrides_keeps_other_settings(tmp_path: Path) -> None:
    path = tmp_path / "overrides.json"
    path.write_text(
        json.dumps(
            {
                "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                "@jupyterlab/apputils-extension:notification": {
                    "fetchNews": "true",
                    "doNotDisturbMode": True,
                },
            }
        ),
        encoding="utf-8",
    )
    settings = json.loads(lab.write_settings_overrides(tmp_path).read_text(encoding="utf-8"))
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert settings["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false",
        "doNotDisturbMode": True,
        "checkForUpdates": False,
    }


def test_write_settings_overrides_replaces_broken_json(tmp_path: Path) -> None:
    (tmp_path / "overrides.json").write_text("{inte json", encoding="utf-8")
    settings = json.loads(lab.write_settings_overrides(tmp_path).read_text(encoding="utf-8"))
    assert settings[lab.NOTIFICATION_PLUGIN]["fetchNews"] == "false"


def test_free_port_skips_a_busy_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        port = lab.free_port(taken, attempts=20)
        assert port != taken
        assert taken < port < taken + 20
    assert lab.free_port(0) > 0


@pytest.mark.parametrize(("euid", "display"), [(0, None), (1000, ":0")])
def test_run_lab_starts_jupyter_in_place(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    euid: int,
    display: str | None,
) -> None:
    """As root it adds --allow-root by itself; without a display it opens no browser."""
    calls = []
    monkeypatch.setattr(lab, "prepare_lab", lambda: tmp_path)
    monkeypatch.setattr(lab.os, "geteuid", lambda: euid)
    monkeypatch.setattr(lab.os, "execv", lambda path, argv: calls.append((path, argv)))
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if display:
        monkeypatch.setenv("DISPLAY", display)
    else:
        monkeypatch.delenv("DISPLAY", raising=False)

    with caplog.at_level(logging.INFO, logger="fouanalys"):
        lab.run_lab(port=8765)

    [(path, argv)] = calls
    assert path == sys.executable
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    args = argv[3:]
    assert ("--allow-root" in args) is (euid == 0)
    assert ("--no-browser" in args) is (display is None)
    assert _option(args, "ServerApp.root_dir") == str(config.PROJ_ROOT)
    assert _option(args, "LabApp.default_url") == "/lab/tree/notebooks"
    assert _option(args, "LabApp.app_settings_dir") == str(tmp_path)
    token = _option(args, "IdentityProvider.token")
    assert len(token) >= 24
    assert f"http://127.0.0.1:8765/lab/tree/notebooks?token={token}" in caplog.text


def test_run_lab_makes_a_new_token_each_time(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    calls = []
    monkeypatch.setattr(lab, "prepare_lab", lambda: tmp_path)
    monkeypatch.setattr(lab.os, "execv", lambda path, argv: calls.append(argv))
    lab.run_lab(port=8765, open_browser=False)
    lab.run_lab(port=8765, open_browser=False)
    tokens = {_option(argv, "IdentityProvider.token") for argv in calls}
    assert len(tokens) == 2


def test_cli_lab_help(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lab", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--port" in out
    assert "--no-browser" in out


def test_cli_lab_calls_run_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(lab, "run_lab", lambda **kw: calls.append(kw))
    assert cli.main(["lab", "--port", "8899", "--no-browser"]) == 0
    assert cli.main(["lab"]) == 0
    assert calls == [{"port": 8899, "open_browser": False}, {"port": None, "open_browser": None}]


@pytest.mark.parametrize("port", ["0", "70000", "åtta"])
def test_cli_lab_rejects_bad_port(port: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lab", "--port", port])
    assert exit_info.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_console_script_lab_help() -> None:
    script = Path(sys.executable).with_name("fouanalys")
    if not script.exists():
        pytest.skip("the fouanalys console script is not installed in this environment")
    result = subprocess.run(
        [str(script), "lab", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "JupyterLab" in result.stdout


def test_make_lab_calls_the_cli() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        [make, "--no-print-directory", "-n", "lab", "ARGS=--port 8899"],
        cwd=config.PROJ_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == ".venv/bin/fouanalys lab --port 8899"


def test_isolation_env_keeps_jupyter_state_in_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env = lab.isolation_env(tmp_path / "work", tmp_path / "processed", {"recordTiming": True})
    assert env[config.PROCESSED_DIR_ENV] == str(tmp_path / "processed")
    for name in (
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_RUNTIME_DIR",
        "IPYTHONDIR",
    ):
        assert Path(env[name]).is_relative_to(tmp_path / "work"), name
    assert "MPLBACKEND" not in env  # figures drawn inline, as in a user's session
    assert os.environ["MPLBACKEND"] == "Agg"  # the caller's environment is left alone
    tracker = (
        Path(env["JUPYTERLAB_SETTINGS_DIR"])
        / "@jupyterlab"
        / "notebook-extension"
        / "tracker.jupyterlab-settings"
    )
    assert json.loads(tracker.read_text(encoding="utf-8")) == {
        "windowingMode": "none",
        "recordTiming": True,
    }


def test_isolated_lab_names_a_server_that_does_not_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server that exits at once is reported with its log, without waiting for the time-out."""
    monkeypatch.setattr(lab, "prepare_lab", lambda: tmp_path / "settings")
    monkeypatch.setattr(
        lab,
        "lab_command",
        lambda args: [sys.executable, "-c", "import sys; print('port upptagen'); sys.exit(3)"],
    )
    started = time.monotonic()
    with (
        pytest.raises(FouanalysError, match="svarade inte") as error,
        lab.isolated_lab(tmp_path / "notebooks", tmp_path / "processed", tmp_path, 120),
    ):
        pytest.fail("the block must not run")
    assert "port upptagen" in str(error.value)
    assert time.monotonic() - started < 60
