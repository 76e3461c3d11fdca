"""A worker whose own machinery fails stops, with a clear log line and a non-zero exit,
so that its supervisor restarts it; `hookline serve` stops with its worker instead of
accepting work nobody delivers.

The failure is injected into the real command in a subprocess: a small launcher makes
one of the worker's background tasks (the retention job) raise a second after it
starts, then runs `hookline` as usual.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from support.databases import sqlite_url
from support.process import free_port, hookline_env

LAUNCHER = textwrap.dedent(
    """
    import asyncio, sys
    from hookline.delivery import retention

    async def dies(*args, **kwargs):
        await asyncio.sleep(1.0)
        raise RuntimeError("injected: the retention job broke")

    retention.run_forever = dies
    from hookline.cli import main
    sys.argv = ["hookline", *sys.argv[1:]]
    main()
    """
)


def _run(tmp_path: Path, db_url: str, *args: str, port: int | None = None):
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    env = hookline_env(
        db_url,
        HOOKLINE_ALLOW_HTTP="true",
        HOOKLINE_ALLOW_PRIVATE_TARGETS="true",
        HOOKLINE_ADMIN_KEY="supervision-test-admin-key-0123456789",
    )
    if port is not None:
        env["HOOKLINE_PORT"] = str(port)
    return subprocess.Popen(
        [sys.executable, str(launcher), *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.timeout(60)
async def test_a_worker_whose_background_task_dies_exits_non_zero(db_url, tmp_path):
    proc = _run(tmp_path, db_url, "worker")
    out, _ = proc.communicate(timeout=40)
    assert proc.returncode == 1, out
    assert "worker stopping: its retention job stopped" in out
    assert "injected: the retention job broke" in out
    assert "Traceback" not in out


@pytest.mark.timeout(60)
async def test_serve_stops_when_its_worker_dies(tmp_path):
    port = free_port()
    proc = _run(tmp_path, sqlite_url(tmp_path), "serve", port=port)
    answered = False
    deadline = time.monotonic() + 20
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answered = (await client.get(f"http://127.0.0.1:{port}/healthz")).is_success
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    out, _ = proc.communicate(timeout=40)
    assert answered, out  # it was serving...
    assert proc.returncode == 1, out  # ...and stopped, not left accepting work
    assert "the worker died" in out
