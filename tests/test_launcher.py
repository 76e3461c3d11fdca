"""The `hookline` command's entry point: with the server installed it is the server's
command line; the command it suggests otherwise reinstalls this same source with the
server extra (the client-only case itself runs in tests/test_client_install.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hookline.launcher import install_command

ROOT = Path(__file__).resolve().parents[1]
HOOKLINE = Path(sys.executable).parent / "hookline"


def test_an_editable_checkout_is_told_to_install_itself_with_the_server_extra():
    # This suite runs from `pip install -e '.[dev]'` (make install).
    assert install_command() == f"pip install -e '{ROOT}[server]'"


def test_with_the_server_installed_the_command_is_the_servers():
    done = subprocess.run([HOOKLINE, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout and "worker" in done.stdout
