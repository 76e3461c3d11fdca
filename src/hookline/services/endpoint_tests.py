"""The test button: one event to one endpoint, optionally waiting for the outcome."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from hookline.domain.clock import isoformat, utcnow
from hookline.domain.models import (
    TEST_EVENT_TYPE,
    Attempt,
    Delivery,
    Message,
    Principal,
)
from hookline.services import endpoints as endpoint_service
from hookline.services import publish as publish_service
from hookline.services.access import Permission, require
from hookline.services.context import Context
from hookline.store import attempts as attempt_store
from hookline.store import deliveries as delivery_store


@dataclass(frozen=True, slots=True)
class TestOutcome:
    message: Message
    delivery: Delivery
    attempt: Attempt | None  # None when not waited for, or nothing came in time


async def send_test(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    event_type: str | None = None,
    payload: Any = None,
    wait: bool = False,
) -> TestOutcome:
    require(principal, Permission.OPERATE)
    target = await endpoint_service.get(ctx, principal, tenant=tenant, endpoint=endpoint)
    if payload is None:
        payload = {
            "message": "This is a test event from Hookline.",
            "endpoint_id": target.id,
            "sent_at": isoformat(utcnow()),
        }
    published = await publish_service.publish(
        ctx,
        principal,
        tenant=target.tenant_id,
        event_type=event_type or TEST_EVENT_TYPE,
        payload=payload,
        only_endpoint=target.id,
    )
    delivery_id = published.delivery_ids[0]
    attempt = None
    if wait:
        attempt = await _first_attempt(ctx, delivery_id, timeout=target.timeout + 10.0)
    async with ctx.db.read() as conn:
        delivery = await delivery_store.get_delivery(
            conn, tenant_id=target.tenant_id, delivery_id=delivery_id
        )
    assert delivery is not None
    return TestOutcome(published.message, delivery, attempt)


async def _first_attempt(ctx: Context, delivery_id: str, *, timeout: float) -> Attempt | None:
    """Poll for the delivery's first attempt (a worker in any process may make it)."""
    deadline = time.monotonic() + timeout
    pause = 0.02
    while True:
        async with ctx.db.read() as conn:
            attempt = await attempt_store.first_attempt(conn, delivery_id)
            delivery = (
                None if attempt else await delivery_store.get_delivery_by_id(conn, delivery_id)
            )
        if attempt is not None:
            return attempt
        if delivery is not None and delivery.status.is_final:
            # Final: its attempt, if it made one, was written with that status. (On
            # PostgreSQL the two reads above see two moments: the write may have come
            # between them.) None: it ended without an attempt (endpoint disabled).
            async with ctx.db.read() as conn:
                return await attempt_store.first_attempt(conn, delivery_id)
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(pause)
        pause = min(pause * 1.5, 0.25)
