"""The per-key API rate limit (DESIGN §4): a token bucket per key, `RateLimit-*` headers on
answers to limited keys, 429 with Retry-After past the limit; tenant-bound keys are limited
by default, operator-wide keys are not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest

from hookline.api.rate_limit import RateLimiter
from hookline.domain.errors import RateLimited
from hookline.settings import Settings
from support.databases import SqliteTemplate
from support.harness import settings_for, start_hookline

# The settings as a deployment gets them: the harness turns the limit off for load tests.
LIMIT_SETTINGS = ("api_rate_limit", "api_rate_burst", "operator_api_rate_limit")
REAL_DEFAULTS: dict[str, Any] = {
    name: Settings.model_fields[name].default
    for name in (*LIMIT_SETTINGS, "operator_api_rate_burst")
}
HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


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
    assert caught.value.retry_after == 1  # whole seconds, at least one


def test_the_quota_says_what_the_headers_say() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=4, clock=clock)
    first = limiter.take("k")
    assert first is not None
    assert (first.limit, first.remaining, first.reset, first.retry_after) == (4, 3, 1, 0)
    for _ in range(3):
        last = limiter.take("k")
    assert last is not None
    assert (last.remaining, last.reset, last.retry_after) == (0, 2, 0)  # 4 tokens at 2/s
    refused = limiter.take("k")
    assert refused is not None
    assert (refused.remaining, refused.retry_after) == (0, 1)
    slow = RateLimiter(rate=0.25, burst=1, clock=clock)
    slow.take("k")
    refused = slow.take("k")
    assert refused is not None
    assert refused.retry_after == 4  # a token every 4 s
    error = slow.refusal(refused)
    assert error.retry_after == 4
    assert "retry in 4 seconds" in error.detail
    assert "0.25 requests per second" in error.detail


@pytest.mark.parametrize(("rate", "burst"), [(0, 200), (100, 0)])
def test_zero_disables_the_limit(rate: float, burst: int) -> None:
    limiter = RateLimiter(rate=rate, burst=burst, clock=Clock())
    assert all(limiter.wait_time("k") == 0.0 for _ in range(1000))
    assert limiter.take("k") is None


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*LIMIT_SETTINGS, "operator_api_rate_burst"):
        monkeypatch.delenv(f"HOOKLINE_{name.upper()}", raising=False)
    settings = Settings()
    assert (settings.api_rate_limit, settings.api_rate_burst) == (100, 200)
    assert settings.operator_api_rate_limit == 0  # operator-wide keys: unlimited
    assert REAL_DEFAULTS == {
        "api_rate_limit": 100,
        "api_rate_burst": 200,
        "operator_api_rate_limit": 0,
        "operator_api_rate_burst": None,
    }
    monkeypatch.setenv("HOOKLINE_API_RATE_LIMIT", "0")
    monkeypatch.setenv("HOOKLINE_API_RATE_BURST", "5")
    monkeypatch.setenv("HOOKLINE_OPERATOR_API_RATE_LIMIT", "1000")
    settings = Settings()
    assert (settings.api_rate_limit, settings.api_rate_burst) == (0, 5)
    assert (settings.operator_api_rate_limit, settings.operator_burst) == (1000, 2000)
    monkeypatch.setenv("HOOKLINE_OPERATOR_API_RATE_BURST", "50")
    assert Settings().operator_burst == 50


_sqlite = SqliteTemplate()


@pytest.fixture
async def start(tmp_path: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Hookline on SQLite alone: the limit is the API process's own (a bucket per key in
    memory) and the database plays no part in it, while these tests need a server that
    answers well past 100 requests a second, which PostgreSQL on a loaded 2-core
    machine did not (77/s)."""
    started: list[Any] = []

    async def go(**overrides: Any) -> Any:
        hl = await start_hookline(settings_for(await _sqlite.create(tmp_path), **overrides))
        started.append(hl)
        return hl

    try:
        yield go
    finally:
        for hl in started:
            await hl.stop()


async def _tenant_key(hl: Any, tenant_id: str, role: str = "runtime") -> str:
    body = {"name": "tenant key", "role": role, "tenant_id": tenant_id}
    key: str = (await hl.call("POST", "/v1/api-keys", 201, json=body))["key"]
    return key


async def _hammer(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    total: int,
    *,
    workers: int = 8,
    until_refused: int | None = None,
    **kw: Any,
) -> tuple[list[httpx.Response], float]:
    """Up to `total` requests from `workers` concurrent senders as fast as they go (and
    no more once `until_refused` were answered 429)."""
    answers: list[httpx.Response] = []
    todo = iter(range(total))
    refused = 0

    async def sender() -> None:
        nonlocal refused
        for _ in todo:
            if until_refused is not None and refused >= until_refused:
                return
            answer = await client.request(method, path, **kw)
            refused += answer.status_code == 429
            answers.append(answer)

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(sender() for _ in range(workers))), timeout=90)
    return answers, time.monotonic() - started


async def test_one_operator_key_publishes_2000_as_fast_as_it_can_without_a_429(start):
    hl = await start(**REAL_DEFAULTS)
    await hl.event_type("invoice.paid")
    tid = (await hl.tenant())["id"]
    body = orjson.dumps({"event_type": "invoice.paid", "payload": {"n": 1}})
    answers, elapsed = await _hammer(
        hl.client,
        "POST",
        f"/v1/tenants/{tid}/messages",
        2000,
        content=body,
        headers={"content-type": "application/json"},
    )
    statuses = {a.status_code for a in answers}
    assert statuses == {202}, [a.text for a in answers if a.status_code != 202][:3]
    # Well past what a tenant-bound key may do: without the operator exemption this
    # very run would have met 429s.
    assert 2000 / elapsed > REAL_DEFAULTS["api_rate_limit"], f"only {2000 / elapsed:.0f}/s"
    assert not any(h in answers[0].headers for h in HEADERS)  # not limited: nothing to say


async def test_a_tenant_key_past_100_per_second_gets_429_with_the_headers(start):
    hl = await start(**REAL_DEFAULTS)
    tid = (await hl.tenant())["id"]
    key = await _tenant_key(hl, tid)
    async with hl.as_key(key) as client:
        answers, elapsed = await _hammer(
            client, "GET", f"/v1/tenants/{tid}/endpoints", 4000, until_refused=50
        )
    ok = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert len(ok) + len(refused) == len(answers), {a.status_code for a in answers}
    assert refused, f"{len(answers)} requests in {elapsed:.2f}s and none refused"
    # The burst of 200, then 100 a second (and one for rounding).
    assert len(ok) <= 200 + 100 * elapsed + 1, (len(ok), elapsed)

    for answer in ok:
        assert answer.headers["ratelimit-limit"] == "200"
        assert 0 <= int(answer.headers["ratelimit-remaining"]) < 200
        assert 0 <= int(answer.headers["ratelimit-reset"]) <= 2
    for answer in refused:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"] == "1"
        assert answer.headers["ratelimit-limit"] == "200"
        assert answer.headers["ratelimit-remaining"] == "0"
        assert 1 <= int(answer.headers["ratelimit-reset"]) <= 2
        problem = answer.json()
        assert problem["status"] == 429
        assert problem["type"].endswith("/rate-limited")
        # The detail agrees with Retry-After: whole seconds, never "0.00s".
        assert problem["detail"] == (
            "This API key is limited to 100 requests per second (bursts of 200); retry in 1 second."
        )

    # The operator's key, meanwhile, was never limited.
    resp = await hl.client.get(f"/v1/tenants/{tid}/endpoints")
    assert resp.status_code == 200
    assert "ratelimit-limit" not in resp.headers


async def test_an_operator_limit_applies_when_set(start):
    hl = await start(operator_api_rate_limit=2, operator_api_rate_burst=4)
    other = await hl.call("POST", "/v1/api-keys", 201, json={"name": "ci", "role": "ci"})
    for _ in range(3):  # with the key creation above: the burst of 4
        resp = await hl.client.get("/v1/event-types")
        assert resp.status_code == 200
    assert resp.headers["ratelimit-limit"] == "4"
    assert resp.headers["ratelimit-remaining"] == "0"
    resp = await hl.client.get("/v1/event-types")
    assert resp.status_code == 429
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["retry-after"] == "1"
    assert resp.headers["ratelimit-remaining"] == "0"
    problem = resp.json()
    assert problem["status"] == 429
    assert problem["type"].endswith("/rate-limited")
    assert "retry in 1 second." in problem["detail"]

    # Other keys have their own bucket; errors carry the headers too; callers without a
    # key are refused as before, and health checks need no key.
    async with hl.as_key(other["key"]) as client:
        assert (await client.get("/v1/event-types")).status_code == 200
        missing = await client.get("/v1/tenants/ten_nope")
        assert missing.status_code == 404
        assert missing.headers["ratelimit-remaining"] == "2"
    async with hl.as_key(None) as client:
        refused = await client.get("/v1/event-types")
        assert refused.status_code == 401
        assert "ratelimit-limit" not in refused.headers
    assert (await hl.client.get("/healthz")).status_code == 200

    await asyncio.sleep(0.55)  # one request's worth at 2 per second
    assert (await hl.client.get("/v1/event-types")).status_code == 200
    assert (await hl.client.get("/v1/event-types")).status_code == 429
