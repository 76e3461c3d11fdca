"""The real `hookline` command in a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from support.harness import TEST_MASTER_KEY

HOOKLINE = str(Path(sys.executable).parent / "hookline")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def hookline_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
    env.update(
        HOOKLINE_DATABASE_URL=database_url,
        HOOKLINE_SECRET_KEY=TEST_MASTER_KEY,
        HOOKLINE_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class Proc:
    """A running `hookline <args>`; output goes to a file for post-mortems."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        log: Path,
        cwd: Path,
        *,
        prefix: Sequence[str] = (),
    ) -> None:
        """`prefix`: a command to run hookline under (e.g. `faketime +90s`)."""
        self.log = log
        self._fh = log.open("ab")
        self.popen = subprocess.Popen(
            [*prefix, HOOKLINE, *args],
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self, timeout: float = 40.0) -> int:
        """SIGTERM and wait; returns the exit code (fails the test if it hangs)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.popen.kill()
            self.popen.wait(5)
            raise AssertionError(
                f"hookline did not stop within {timeout}s:\n{self.output()}"
            ) from exc
        finally:
            self._fh.close()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)
        self._fh.close()


async def wait_ready(url: str, proc: Proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise AssertionError(f"hookline exited early:\n{proc.output()}")
            try:
                if (await client.get(url + "/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"hookline not ready within {timeout}s:\n{proc.output()}")


def run(
    args: list[str], env: dict[str, str], cwd: Path, **kw: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOOKLINE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, **kw
    )


async def wait_for_port(port: int, proc: Proc, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise AssertionError(f"exited early:\n{proc.output()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"not listening within {timeout}s:\n{proc.output()}")


async def wait_output(proc: Proc, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in proc.output():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not printed within {timeout}s:\n{proc.output()}")
        await asyncio.sleep(0.05)
    return proc.output()
