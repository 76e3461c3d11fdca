"""Schemathesis fuzzes every operation of /openapi.json (bounded): no answer is a 5xx."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from support.process import Proc, free_port, hookline_env, wait_ready

ADMIN = "schemathesis-admin-key-0123456789"
ST = str(Path(sys.executable).parent / "st")


@pytest.mark.slow
async def test_fuzzing_the_api_finds_no_server_error(db_url, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = hookline_env(db_url, HOOKLINE_ADMIN_KEY=ADMIN, HOOKLINE_API_RATE_LIMIT="0")
    proc = Proc(["serve", "--dev", "--port", str(port)], env, tmp_path / "serve.log", tmp_path)
    try:
        await wait_ready(base, proc)
        run = await asyncio.to_thread(
            subprocess.run,
            [
                ST,
                "run",
                f"{base}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "8",
                "--max-time",
                "8",
                "--phases",
                "examples,coverage,fuzzing",
                "--header",
                f"Authorization: Bearer {ADMIN}",
                "--generation-deterministic",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
    finally:
        assert proc.terminate() == 0
    report = run.stdout[-3000:]
    assert run.returncode == 0, report
    assert "generated" in report
    assert "Traceback" not in proc.output()
