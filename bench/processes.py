"""The benchmark's subprocesses: the receiver and the real `hookline` command.

Every child is registered as it starts and stopped by whoever started it (try/finally);
an atexit hook kills whatever is left, and each child also gets SIGKILL from the kernel
if the benchmark itself dies (PR_SET_PDEATHSIG), so a Ctrl-C, a SIGTERM or a crash
leaves nothing running. Children run in their own process group, so a Ctrl-C reaches
the benchmark alone and it stops them in order.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import aiohttp
import orjson

HOOKLINE = str(Path(sys.executable).parent / "hookline")
ADMIN_KEY = "bench-admin-key-0123456789abcdef-fixed"
REPO = Path(__file__).resolve().parent.parent

_children: list[subprocess.Popen[bytes]] = []


class BenchError(RuntimeError):
    """Something the benchmark needs did not happen (a process died, a wait ran out)."""


# -- lifetime of children ------------------------------------------------------------


def _die_with_parent_hook() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return hook


_PREEXEC = _die_with_parent_hook()


def _kill_leftovers() -> None:
    alive = [p for p in _children if p.poll() is None]
    for p in alive:
        with contextlib.suppress(ProcessLookupError):
            p.terminate()
    deadline = time.monotonic() + 5
    for p in alive:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


atexit.register(_kill_leftovers)


def spawn(
    argv: list[str], *, env: dict[str, str], log: Path, stdout_pipe: bool = False
) -> subprocess.Popen[bytes]:
    fh = log.open("ab")
    try:
        popen = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else fh,
            stderr=fh,
            preexec_fn=_PREEXEC,  # only calls prctl, looked up before the fork
            process_group=0,
        )
    finally:
        fh.close()
    _children.append(popen)
    return popen


class Child:
    """A started subprocess with its log file."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.popen = popen
        self.log = log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait `timeout`, then SIGKILL. Returns the exit code."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        with contextlib.suppress(ValueError):
            _children.remove(self.popen)
        return self.popen.returncode


def stop_all(children: list[Child]) -> None:
    """Stop in reverse order of starting; terminate them all first so they stop together."""
    for child in reversed(children):
        if child.alive():
            with contextlib.suppress(ProcessLookupError):
                child.popen.terminate()
    for child in reversed(children):
        child.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- the receiver --------------------------------------------------------------------


class Receiver(Child):
    """A `python -m bench.receiver` process and its control endpoints."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log: Path, port: int) -> None:
        super().__init__(name, popen, log)
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self._session: aiohttp.ClientSession | None = None

    def url(self, path: str = "/hook") -> str:
        return self.base + path

    async def _get(self, what: str, method: str = "GET") -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30), trust_env=False
            )
        async with self._session.request(method, f"{self.base}/_bench/{what}") as resp:
            if resp.status != 200:
                raise BenchError(f"receiver {self.name}: /_bench/{what} answered {resp.status}")
            return orjson.loads(await resp.read())

    async def stats(self) -> dict[str, float]:
        result: dict[str, float] = await self._get("stats")
        return result

    async def receipts(self) -> dict[str, float]:
        result: dict[str, float] = (await self._get("receipts"))["receipts"]
        return result

    async def reset(self) -> None:
        await self._get("reset", "POST")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def wait_for(
        self,
        count: int,
        *,
        field: str = "messages",
        timeout: float,
        progress: Callable[[str], None],
        watch: list[Child] | None = None,
    ) -> dict[str, float]:
        """Poll until `field` reaches `count` (or `timeout`); returns the last stats."""
        deadline = time.monotonic() + timeout
        next_note = time.monotonic() + 2.0
        stats = await self.stats()
        while stats[field] < count:
            now = time.monotonic()
            if now > deadline:
                progress(f"gave up after {timeout:.0f}s at {stats[field]:,.0f}/{count:,}")
                return stats
            for child in watch or []:
                if not child.alive():
                    raise BenchError(f"{child.name} exited early:\n{child.tail()}")
            if now >= next_note:
                progress(f"received {stats[field]:,.0f}/{count:,}")
                next_note = now + 2.0
            await asyncio.sleep(0.05)
            stats = await self.stats()
        return stats


async def start_receiver(name: str, log_dir: Path, *, hang: bool = False) -> Receiver:
    log = log_dir / f"{name}.log"
    argv = [sys.executable, "-m", "bench.receiver", *(["--hang"] if hang else [])]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    popen = spawn(argv, env=env, log=log, stdout_pipe=True)
    assert popen.stdout is not None
    line = b""
    with selectors.DefaultSelector() as sel:
        sel.register(popen.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 20
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            if popen.poll() is not None:
                break
            if sel.select(timeout=0.1):
                chunk = os.read(popen.stdout.fileno(), 100)
                if not chunk:
                    break
                line += chunk
    child = Receiver(name, popen, log, 0)
    if not line.startswith(b"PORT "):
        child.stop(2)
        raise BenchError(f"receiver {name} did not start:\n{child.tail()}")
    child.port = int(line.split()[1])
    child.base = f"http://127.0.0.1:{child.port}"
    return child


# -- hookline ------------------------------------------------------------------------


# Settings every hookline in the benchmark runs with (recorded in latest.json). The rest
# are Hookline's defaults: worker concurrency 200, claim batch 100, log level INFO, and
# the API rate limit, which holds tenant-bound keys only (the benchmark publishes with
# the operator's admin key, as a vendor's backend does).
BENCH_SETTINGS = {
    "HOOKLINE_SHUTDOWN_GRACE": "3",  # stopping between scenarios need not wait 30 s
    "HOOKLINE_LOG_FORMAT": "text",
}


def hookline_env(
    *, database_url: str, data_dir: Path, secret_key: str, **extra: str
) -> dict[str, str]:
    """The environment of every `hookline` the benchmark starts (see `BENCH_SETTINGS`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
    env.update(BENCH_SETTINGS)
    env.update(
        HOOKLINE_DATABASE_URL=database_url,
        HOOKLINE_DATA_DIR=str(data_dir),
        HOOKLINE_ADMIN_KEY=ADMIN_KEY,
        HOOKLINE_SECRET_KEY=secret_key,
    )
    env.update(extra)
    return env


class Hookline(Child):
    """`hookline serve|api|worker`; `base` is its HTTP address (None for a worker)."""

    def __init__(
        self, name: str, popen: subprocess.Popen[bytes], log: Path, base: str | None
    ) -> None:
        super().__init__(name, popen, log)
        self.base = base

    async def wait_ready(self, timeout: float = 60.0) -> Self:
        if self.base is None:
            return self
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=2), trust_env=False
        ) as session:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise BenchError(f"{self.name} exited early:\n{self.tail()}")
                try:
                    async with session.get(self.base + "/readyz") as resp:
                        if resp.status == 200:
                            return self
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.1)
        raise BenchError(f"{self.name} not ready within {timeout:.0f}s:\n{self.tail()}")


async def start_hookline(role: str, *, name: str, env: dict[str, str], log_dir: Path) -> Hookline:
    """Start `hookline <role> --dev` (serve and api on a free port) and wait for /readyz."""
    argv = [HOOKLINE, role, "--dev"]
    base = None
    if role in ("serve", "api"):
        port = free_port()
        argv += ["--port", str(port)]
        base = f"http://127.0.0.1:{port}"
    popen = spawn(argv, env=env, log=log_dir / f"{name}.log")
    proc = Hookline(name, popen, log_dir / f"{name}.log", base)
    try:
        return await proc.wait_ready()
    except BaseException:
        proc.stop(5)
        raise


def run_hookline(args: list[str], *, env: dict[str, str], log_dir: Path, name: str) -> None:
    """Run a short `hookline` command (migrate) to completion; raise if it fails."""
    log = log_dir / f"{name}.log"
    with log.open("ab") as fh:
        done = subprocess.run(
            [HOOKLINE, *args], env=env, cwd=REPO, stdout=fh, stderr=fh, timeout=120, check=False
        )
    if done.returncode != 0:
        raise BenchError(f"hookline {' '.join(args)} failed:\n{log.read_text(errors='replace')}")
