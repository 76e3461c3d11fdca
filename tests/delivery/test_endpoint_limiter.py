"""The per-endpoint limiter: FIFO hand-over, AIMD, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from hookline.delivery.flow_control import EndpointLimiter


async def test_waiters_start_in_arrival_order_and_never_above_the_limit():
    limiter = EndpointLimiter(2)
    started: list[int] = []
    peak = 0

    async def job(i: int) -> None:
        nonlocal peak
        await limiter.acquire()
        started.append(i)
        peak = max(peak, limiter.active)
        await asyncio.sleep(0.001)
        limiter.release(overloaded=False)

    await asyncio.gather(*(job(i) for i in range(20)))
    assert started == list(range(20))
    assert peak == 2
    assert limiter.active == 0


async def test_overload_shrinks_what_may_start():
    limiter = EndpointLimiter(4)
    for _ in range(4):
        await limiter.acquire()
    for _ in range(4):
        limiter.release(overloaded=True)
    assert limiter.aimd.allowed == 1
    await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    assert not second.done()
    limiter.release(overloaded=None)
    await asyncio.wait_for(second, 1)


async def test_a_cancelled_waiter_gives_its_slot_back():
    limiter = EndpointLimiter(1)
    await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    limiter.release(overloaded=None)
    assert limiter.active == 0
    await asyncio.wait_for(limiter.acquire(), 1)
