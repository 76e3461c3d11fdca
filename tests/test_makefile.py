"""What each `make` target installs: serving installs the server alone, testing adds the
dev tools and Chromium, and both install again when pyproject.toml changes. Checked with
`make -n` (the commands make would run, none of them run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _would_run(target: str, cwd: Path, *flags: str) -> str:
    # Run by `make test`, this make would be a sub-make: told so by the outer one's
    # variables, it prints "Entering/Leaving directory" lines among the commands.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", *flags, target],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile, pyproject.toml and the npm files of the tests beside an
    installed-looking .venv."""
    for name in ("Makefile", "pyproject.toml", "tests/package.json", "tests/package-lock.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize("target", ["serve", "dev", "bench"])
def test_serving_installs_the_server_alone(checkout: Path, target: str):
    commands = _would_run(target, checkout)
    assert "pip install --quiet -e '.[server]'" in commands
    assert ".[dev]" not in commands
    assert "ensure-chromium" not in commands


@pytest.mark.parametrize("target", ["install", "test"])
def test_testing_installs_the_dev_tools_and_chromium(checkout: Path, target: str):
    commands = _would_run(target, checkout)
    assert "pip install --quiet -e '.[dev]'" in commands
    assert "scripts/ensure-chromium.sh" in commands
    assert "scripts/ensure-test-tools.sh" in commands  # faketime, iptables


def test_testing_installs_the_npm_sdk_once_until_its_lockfile_changes(checkout: Path):
    assert "npm ci" in _would_run("test", checkout)
    (checkout / "tests" / "node_modules").mkdir()
    (checkout / "tests" / "node_modules" / ".installed").touch()
    assert "npm ci" not in _would_run("test", checkout)


def test_each_install_is_done_once_until_pyproject_changes(checkout: Path):
    venv = checkout / ".venv"
    for stamp in (".installed-server", ".installed-dev"):
        (venv / stamp).touch()
    assert "pip install" not in _would_run("serve", checkout)
    assert "pip install" not in _would_run("test", checkout)

    later = (venv / ".installed-dev").stat().st_mtime + 10
    os.utime(checkout / "pyproject.toml", (later, later))
    assert ".[server]" in _would_run("serve", checkout)
    assert ".[dev]" in _would_run("test", checkout)


def test_a_dev_install_leaves_the_server_install_done(checkout: Path):
    commands = _would_run("install", checkout)
    assert "touch .venv/.installed-server .venv/.installed-dev" in commands


def test_testing_runs_the_store_tests_again_on_the_stock_sqlite_driver(checkout: Path):
    lines = _would_run("test", checkout).splitlines()
    whole = lines.index(".venv/bin/pytest ")
    again = (
        "HOOKLINE_SQLITE_DRIVER=stock HOOKLINE_TEST_DATABASES=sqlite "
        ".venv/bin/pytest -q tests/store"
    )
    assert lines[whole + 1 :] == [again]
