"""Hostile receivers hurt no one (DESIGN §3 isolation, §6 limits): a real Hookline
delivers a steady stream to a healthy endpoint while tenants' hostile endpoints beside
it answer with an endless header line, 10,000 header fields, endless interim answers,
huge Locations, huge error texts and endless trailers (raw asyncio sockets, in a process
of their own). Each hostile attempt fails at once with a bounded message, the worker's
memory stays bounded, and the healthy endpoint's deliveries never pause."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookline.domain.stored_text import STORED_TEXT_LIMIT
from support.hostile import HostileProcess

RATE = 10  # messages a second to every endpoint
SECONDS = 3.0
MAX_GAP = 0.5  # between two arrivals at the healthy endpoint
MAX_GROWTH_MIB = 32  # RSS of this process (Hookline's worker) over the whole run
EXPECTED = {  # behaviour -> (response code, the stored error) of every attempt
    "endless-header-line": (None, "response head over 64 KiB"),
    "slow-header-line": (None, "response head over 64 KiB"),
    "many-headers": (None, "response head has more than 100 fields"),
    "interim-loop": (None, "more than 10 interim (1xx) answers"),
    "huge-location-4mib": (None, "response head over 64 KiB"),
    "huge-location": (302, "redirect not followed (Location: https://elsewhere.example/"),
    "huge-error": (500, "HTTP 500"),
    "endless-trailer": (200, None),
}


@pytest.fixture
def hostile() -> Iterator[HostileProcess]:
    process = HostileProcess()
    yield process
    process.stop()


def _rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def test_hostile_endpoints_beside_a_healthy_one(start, receivers, hostile):
    healthy = await receivers()
    hl = await start(retry_schedule="200ms,200ms")
    await hl.event_type("tick")
    tenant = (await hl.tenant("Healthy"))["id"]
    await hl.endpoint(tenant, healthy.url, ["tick"])
    attacker = (await hl.tenant("Attacker"))["id"]
    hostile_endpoints = {
        name: (await hl.endpoint(attacker, hostile.url(name), ["tick"]))["id"] for name in EXPECTED
    }
    await hl.publish(tenant, "tick", {"warm": True})  # connections, caches, first claims
    await healthy.wait_for(1)

    baseline = peak = _rss_mib()
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, _rss_mib())
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    try:
        started = time.monotonic()
        for n in range(int(RATE * SECONDS)):
            await asyncio.sleep(max(0.0, started + n / RATE - time.monotonic()))
            await asyncio.gather(
                hl.publish(tenant, "tick", {"n": n}), hl.publish(attacker, "tick", {"n": n})
            )
        await healthy.wait_for(1 + int(RATE * SECONDS), timeout=15)
        await asyncio.sleep(1)  # the hostile retries (200 ms apart) run their course
    finally:
        sampling = False
        await sampler

    arrivals = [r.at for r in healthy.requests[1:]]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    seen = f"RSS grew {peak - baseline:.1f} MiB, the longest wait was {max(gaps):.2f} s"
    assert peak - baseline < MAX_GROWTH_MIB, seen
    assert max(gaps) <= MAX_GAP, seen

    for name, endpoint in hostile_endpoints.items():
        page = await hl.call(
            "GET",
            f"/v1/tenants/{attacker}/endpoints/{endpoint}/deliveries",
            200,
            params={"limit": 3},
        )
        assert page["data"], name
        code, error = EXPECTED[name]
        for delivery in page["data"]:
            for attempt in await hl.attempts(attacker, delivery["id"]):
                assert attempt["duration_ms"] < 1000, (name, attempt["duration_ms"])
                assert attempt["response_code"] == code, (name, attempt)
                message = attempt["error_message"]
                if error is None:
                    assert message is None, (name, message)
                else:
                    assert message.startswith(error), (name, message)
                    assert len(message.encode()) <= STORED_TEXT_LIMIT
                headers = attempt["response_headers"]
                assert headers is None or len(headers.encode()) <= STORED_TEXT_LIMIT
                body = attempt["response_body"]
                assert body is None or len(body.encode()) <= 2048
