"""Measuring from the outside: percentiles, throughput spans, and a process's CPU time
and memory read from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Latency:
    """publish-accepted → receipt, in milliseconds, for the messages that arrived."""

    p50: float | None
    p99: float | None
    max: float | None
    count: int
    missing: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "p50_ms": self.p50,
            "p99_ms": self.p99,
            "max_ms": self.max,
            "count": self.count,
            "missing": self.missing,
        }


def latency(accepted: dict[str, float], receipts: dict[str, float]) -> Latency:
    ms = [(receipts[i] - t) * 1000 for i, t in accepted.items() if i in receipts]
    return Latency(
        p50=percentile(ms, 50),
        p99=percentile(ms, 99),
        max=max(ms) if ms else None,
        count=len(ms),
        missing=len(accepted) - len(ms),
    )


def last_receipt(ids: Iterable[str], receipts: dict[str, float]) -> float | None:
    times = [receipts[i] for i in ids if i in receipts]
    return max(times) if times else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # after "pid (comm)": state is field 3, utime 14, stime 15 (1-based in proc(5))
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a live process, in KiB."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    out[name] = int(value.split()[0])
    except OSError:
        pass
    return out


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


class CpuMeter:
    """CPU used by some processes between `start()` and `stop()`, as % of one core, and
    by the whole machine ("machine", as % of all its cores: near 100 = saturated)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._start: dict[str, float | None] = {}
        self._machine: tuple[int, int] | None = None
        self._t0 = 0.0
        self.percent: dict[str, float] = {}

    def start(self) -> CpuMeter:
        self._t0 = time.monotonic()
        self._start = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        self._machine = machine_ticks()
        return self

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._t0
        for name, pid in self._pids.items():
            before, after = self._start.get(name), cpu_seconds(pid)
            if before is not None and after is not None and wall > 0:
                self.percent[name] = round(100 * (after - before) / wall, 1)
        now = machine_ticks()
        if self._machine is not None and now is not None and now[1] > self._machine[1]:
            busy = (now[0] - self._machine[0]) / (now[1] - self._machine[1])
            self.percent["machine"] = round(100 * busy, 1)
        return self.percent


@dataclass
class RssSampler:
    """Samples a process's VmRSS every `interval` seconds while running; keeps VmHWM."""

    pid: int
    interval: float = 0.2
    peak_rss_kib: int = 0
    hwm_kib: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> RssSampler:
        self._task = asyncio.create_task(self._run())
        return self

    def sample(self) -> None:
        mem = memory_kib(self.pid)
        if "VmRSS" in mem:
            self.peak_rss_kib = max(self.peak_rss_kib, mem["VmRSS"])
            if len(self.samples) < 100_000:
                self.samples.append((time.time(), mem["VmRSS"]))
        self.hwm_kib = max(self.hwm_kib, mem.get("VmHWM", 0))

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        self.sample()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
