"""The environment files agree: pyproject.toml, uv.lock and environment.yml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _declared() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = pyproject["project"]["dependencies"] + pyproject["dependency-groups"]["dev"]
    return {_name(r) for r in reqs}


def _locked() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"].lower(): p["version"] for p in lock["package"]}


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "==" in dep:
            name, version = dep.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_environment_yml_lists_exactly_the_declared_packages():
    assert set(_conda()) == _declared()


def test_environment_yml_pins_the_locked_versions():
    locked = _locked()
    mismatched = {n: (v, locked.get(n)) for n, v in _conda().items() if locked.get(n) != v}
    assert not mismatched, f"environment.yml differs from uv.lock: {mismatched}"


def test_lockfile_pins_every_declared_dependency():
    locked = _locked()
    assert _declared() <= set(locked)
    assert "fouanalys" in locked


def test_environment_yml_python_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "python=3.11" in env["dependencies"]
    assert ">=3.11" in pyproject["project"]["requires-python"]
