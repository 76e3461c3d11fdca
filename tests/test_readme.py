"""README's walkthrough runs as written: its shell blocks, taken from README.md itself,
run with bash against the real server (`make dev`'s command) and `hookline listen`,
and each step answers what the walkthrough says it does.

The blocks are the ones marked `<!-- walkthrough: NAME -->`. Only two things are
changed: the ports (the server's and the listener's, free ones instead of 8780 and
9000, so the test can run beside anything), and `make dev`, which runs the Makefile's
own recipe for it with this test's Python environment instead of building `.venv`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

from support.process import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"
MARKED = re.compile(r"<!-- walkthrough: (\w+) -->\n```sh\n(.*?)\n```", re.S)
STEP = re.compile(r"^# (\d+)\. ", re.M)
DEV_RECIPE = "$(BIN)/hookline serve --dev $(ARGS)"
# `make dev`, as the Makefile's recipe runs it (DEV_RECIPE, checked below).
MAKE = (
    'make() { [ "$*" = dev ] || { echo "the walkthrough runs make dev only" >&2; return 2; }; '
    'exec "$VENV_BIN/hookline" serve --dev $ARGS; }\n'
)


def walkthrough() -> dict[str, str]:
    blocks = dict(MARKED.findall(README.read_text()))
    assert set(blocks) == {"server", "listener", "api"}, f"README's marked blocks: {blocks}"
    return blocks


def _with(text: str, old: str, new: str) -> str:
    assert old in text, f"the walkthrough no longer uses {old!r}:\n{text}"
    return text.replace(old, new)


class Shell:
    """`bash -c script` in its own process group, its output in a file."""

    def __init__(self, script: str, *, cwd: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out: IO[bytes] = log.open("wb")
        self.popen = subprocess.Popen(
            ["bash", "-c", script],
            cwd=cwd,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._out.close()


def _wait_for(ready: Any, shell: Shell, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if shell.popen.poll() is not None:
            raise AssertionError(f"{what} exited early:\n{shell.output()}")
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} not ready within {timeout}s:\n{shell.output()}")


def _server_ready(base: str) -> bool:
    try:
        return httpx.get(base + "/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _steps(output: str) -> dict[int, str]:
    parts = re.split(r"^@@ step (\d+)\n", output, flags=re.M)
    return {int(n): text.strip() for n, text in zip(parts[1::2], parts[2::2], strict=True)}


def test_the_makefile_runs_make_dev_as_the_walkthrough_test_does():
    recipe = MAKEFILE.read_text().split("\ndev:", 1)[1].splitlines()[1].strip()
    assert recipe == DEV_RECIPE


def test_the_readme_walkthrough_runs_as_written(tmp_path):
    blocks = walkthrough()
    port, listener_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    # A fresh folder as the checkout: its data directory, and `.venv` being this one.
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
    env.update(VENV_BIN=str(Path(sys.executable).parent), ARGS=f"--port {port}")

    server = Shell(MAKE + blocks["server"], cwd=tmp_path, env=env, log=tmp_path / "server.log")
    listener_script = _with(blocks["listener"], "--port 9000", f"--port {listener_port}")
    listener = Shell(listener_script, cwd=tmp_path, env=env, log=tmp_path / "listener.log")
    try:
        _wait_for(lambda: _server_ready(base), server, "make dev")
        _wait_for(lambda: _listening(listener_port), listener, "hookline listen")
        script = _with(blocks["api"], "http://127.0.0.1:8780", base)
        script = _with(script, "127.0.0.1:9000", f"127.0.0.1:{listener_port}")
        script = "set -eo pipefail\n" + STEP.sub(lambda m: f'echo "@@ step {m[1]}"\n{m[0]}', script)
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        server.stop()
        listener.stop()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{server.output()}"
    steps = _steps(done.stdout)
    assert sorted(steps) == [1, 2, 3, 4, 5, 6], done.stdout

    event_type = json.loads(steps[1])
    assert event_type["name"] == "invoice.paid"
    tenant = json.loads(steps[2])
    assert (tenant["uid"], tenant["id"][:4]) == ("acme", "ten_")
    endpoint = json.loads(steps[3])
    assert endpoint["uid"] == "billing"
    assert endpoint["url"] == f"http://127.0.0.1:{listener_port}/hooks"
    assert endpoint["has_secret"] is True
    (message_id,) = re.findall(r"^published (msg_\w+)$", steps[4], re.M)

    (delivery,) = json.loads(steps[5])["data"]
    assert delivery["message_id"] == message_id
    assert delivery["endpoint_id"] == endpoint["id"]
    assert delivery["status"] == "delivered", steps[5]
    (attempt,) = json.loads(steps[6])["data"]
    assert attempt["delivery_id"] == delivery["id"]
    assert (attempt["status"], attempt["response_code"]) == ("succeeded", 200)

    # The listener got it, and the secret of step 3 verified it.
    shown = listener.output()
    assert message_id in shown, shown
    assert re.search(r"signature OK", shown), shown
