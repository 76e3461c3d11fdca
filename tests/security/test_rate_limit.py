"""The per-key API rate limit (DESIGN §4): a token bucket per key, 429 with Retry-After."""

from __future__ import annotations

import asyncio

import pytest

from hookline.api.rate_limit import RateLimiter
from hookline.domain.errors import RateLimited
from hookline.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=3, clock=clock)
    assert [limiter.wait_time("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_time("k") == pytest.approx(0.1)
    assert limiter.wait_time("other") == 0.0  # one bucket per key
    clock.now += 0.1
    assert limiter.wait_time("k") == 0.0
    assert limiter.wait_time("k") > 0
    clock.now += 60  # refills to the burst, not beyond
    assert [limiter.wait_time("k") for _ in range(4)][-1] > 0
    with pytest.raises(RateLimited) as caught:
        limiter.check("k")
    assert caught.value.retry_after == pytest.approx(0.1)


@pytest.mark.parametrize(("rate", "burst"), [(0, 200), (100, 0)])
def test_zero_disables_the_limit(rate: float, burst: int) -> None:
    limiter = RateLimiter(rate=rate, burst=burst, clock=Clock())
    assert all(limiter.wait_time("k") == 0.0 for _ in range(1000))


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKLINE_API_RATE_LIMIT", raising=False)
    monkeypatch.delenv("HOOKLINE_API_RATE_BURST", raising=False)
    settings = Settings()
    assert (settings.api_rate_limit, settings.api_rate_burst) == (100, 200)
    monkeypatch.setenv("HOOKLINE_API_RATE_LIMIT", "0")
    monkeypatch.setenv("HOOKLINE_API_RATE_BURST", "5")
    assert (Settings().api_rate_limit, Settings().api_rate_burst) == (0, 5)


async def test_a_key_over_its_rate_gets_429_with_retry_after(start):
    hl = await start(api_rate_limit=2, api_rate_burst=4)
    other = await hl.call("POST", "/v1/api-keys", 201, json={"name": "ci", "role": "ci"})
    for _ in range(3):  # with the key creation above: the burst of 4
        await hl.call("GET", "/v1/event-types", 200)
    resp = await hl.client.get("/v1/event-types")
    assert resp.status_code == 429
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["retry-after"] == "1"
    problem = resp.json()
    assert problem["status"] == 429
    assert problem["type"].endswith("/rate-limited")

    # Other keys have their own bucket; callers without a key are refused as before.
    async with hl.as_key(other["key"]) as client:
        assert (await client.get("/v1/event-types")).status_code == 200
    async with hl.as_key(None) as client:
        assert (await client.get("/v1/event-types")).status_code == 401
    assert (await hl.client.get("/healthz")).status_code == 200

    await asyncio.sleep(0.55)  # one request's worth at 2 per second
    assert (await hl.client.get("/v1/event-types")).status_code == 200
    assert (await hl.client.get("/v1/event-types")).status_code == 429
