"""Per-endpoint flow control inside one worker: an adaptive concurrency limit (AIMD)
and, for endpoints with a `rate_limit`, a start slot reserved in the database so the
rate holds across every worker."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from hookline.domain.flow import Aimd
from hookline.store import endpoint_health
from hookline.store.database import Database


class EndpointLimiter:
    """At most `aimd.allowed` attempts in flight; waiters start in arrival order.

    A release hands its slot straight to the oldest waiter (no thundering herd: one
    release wakes at most the waiters that can actually start)."""

    def __init__(self, cap: int) -> None:
        self.aimd = Aimd(cap)
        self.active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        if self.active < self.aimd.allowed and not self._waiters:
            self.active += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # granted: `active` was counted for us by `_grant`
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(overloaded=None)  # granted, then cancelled: give it back
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self, *, overloaded: bool | None) -> None:
        """`overloaded`: True shrinks, False grows, None (no answer to judge) leaves it."""
        self.active -= 1
        if overloaded is True:
            self.aimd.overload()
        elif overloaded is False:
            self.aimd.success()
        self._grant()

    def resize(self, cap: int) -> None:
        if cap != self.aimd.cap:
            self.aimd.resize(cap)
            self._grant()

    def _grant(self) -> None:
        while self._waiters and self.active < self.aimd.allowed:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.active += 1
                waiter.set_result(None)


LATE_TOLERANCE = 0.005


async def wait_for_rate_slot(db: Database, endpoint_id: str, rate_limit: int) -> None:
    """Reserve this attempt's start time (spaced 1/rate apart across all workers) and
    sleep until it comes. Waking up late means the slot was missed (the process was
    busy): starting anyway would bunch this attempt with the next slot's, so a new slot
    is reserved instead. Starts therefore stay within LATE_TOLERANCE of their slots."""
    step = 1.0 / rate_limit
    for _ in range(100):  # bounded: each round waits for a later slot
        async with db.write() as conn:
            slot = await endpoint_health.reserve_rate_slot(
                conn, endpoint_id, now=time.time(), step=step
            )
        delay = slot - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.time() - slot <= LATE_TOLERANCE + (0 if delay > 0 else step):
            return
