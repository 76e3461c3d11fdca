"""What an attempt keeps of an answer, as the API shows it: the response's header
fields, the body's first 2 KiB, and every text from the response or an error cut to
1 KiB and marked as cut; what any database can store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from hookline.domain.stored_text import STORED_TEXT_LIMIT
from support.hostile import HostileServer


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    server = await HostileServer().start()
    yield server
    await server.stop()


async def _only_attempt(hl, tenant: str, url: str) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """The first attempt of a delivery to `url`, and the delivery just after it."""
    await hl.endpoint(tenant, url, ["order.placed"])
    msg = await hl.publish(tenant, "order.placed", {"n": 1})
    (status,) = (await hl.message(tenant, msg["id"]))["delivery_statuses"]
    deadline = time.monotonic() + 15
    while True:
        delivery = await hl.call("GET", f"/v1/tenants/{tenant}/deliveries/{status['id']}", 200)
        if delivery["attempt_count"] >= 1:
            return (await hl.attempts(tenant, status["id"]))[0], delivery
        assert time.monotonic() < deadline, delivery
        await asyncio.sleep(0.05)


@pytest.fixture
async def hl(start):  # type: ignore[no-untyped-def]
    hookline = await start(retry_schedule="1h")  # a failed attempt leaves it pending
    await hookline.event_type("order.placed")
    return hookline


async def test_the_response_headers_are_kept_with_the_attempt(hl, receivers):
    rx = await receivers(statuses=[202], headers={"X-Receiver": "rx-1", "Retry-After": "3"})
    tenant = (await hl.tenant())["id"]
    attempt, _ = await _only_attempt(hl, tenant, rx.url)
    lines = attempt["response_headers"].split("\n")
    assert "X-Receiver: rx-1" in lines
    assert "Retry-After: 3" in lines
    assert any(line.startswith("Content-Length: ") for line in lines)


async def test_many_response_headers_are_cut_to_1_kib_and_marked(hl, receivers):
    headers = {f"X-Field-{i:02d}": "v" * 40 for i in range(90)}  # ~4.5 KiB of fields
    rx = await receivers(statuses=[200], headers=headers)
    tenant = (await hl.tenant())["id"]
    attempt, _ = await _only_attempt(hl, tenant, rx.url)
    stored = attempt["response_headers"]
    assert len(stored.encode()) <= STORED_TEXT_LIMIT
    assert stored.startswith("X-Field-00: vvvv")
    assert " …[cut: " in stored
    assert stored.endswith(" bytes in all]")


async def test_a_huge_location_is_stored_cut_in_the_attempt_and_the_delivery(hl, hostile):
    tenant = (await hl.tenant())["id"]
    attempt, delivery = await _only_attempt(hl, tenant, hostile.url("huge-location"))
    assert attempt["response_code"] == 302
    for text in (attempt["error_message"], delivery["failure_reason"]):
        assert len(text.encode()) <= STORED_TEXT_LIMIT
        assert text.startswith("redirect not followed (Location: https://elsewhere.example/xxx")
        assert text.endswith(" bytes in all]")
    assert len(attempt["response_headers"].encode()) <= STORED_TEXT_LIMIT


async def test_a_limit_met_is_the_stored_error(hl, hostile):
    tenant = (await hl.tenant())["id"]
    attempt, delivery = await _only_attempt(hl, tenant, hostile.url("huge-location-4mib"))
    assert attempt["response_code"] is None
    assert attempt["error_message"] == "response head over 64 KiB"
    assert attempt["response_headers"] is None
    assert delivery["status"] == "pending"
    assert delivery["failure_reason"] == "response head over 64 KiB"


async def test_a_nul_in_the_answer_does_not_stop_the_attempt_being_recorded(hl, receivers):
    rx = await receivers(statuses=[200], body=b"ok\x00then", headers={"X-Odd": "a"})
    tenant = (await hl.tenant())["id"]
    attempt, delivery = await _only_attempt(hl, tenant, rx.url)
    assert delivery["status"] == "delivered"
    assert attempt["response_body"] == "ok\ufffdthen"
