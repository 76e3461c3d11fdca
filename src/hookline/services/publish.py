"""Publishing: one message, fanned out to a delivery per subscribed endpoint, in one
transaction, so an answered publish is never lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline import telemetry
from hookline.domain.clock import utcnow
from hookline.domain.errors import FieldError, InvalidInput, NotFound, PayloadTooLarge
from hookline.domain.ids import new_id
from hookline.domain.matching import subscribes
from hookline.domain.models import DeliveryStatus, Message, Principal, Tenant
from hookline.domain.payload import message_body
from hookline.domain.payload_schema import payload_errors
from hookline.services.access import Permission, require, resolve_tenant
from hookline.services.context import Context
from hookline.store import deliveries as delivery_store
from hookline.store import endpoints as endpoint_store
from hookline.store import event_types as event_type_store
from hookline.store import messages as message_store

MAX_KEY_LENGTH = 255
ENDPOINT_DISABLED = "endpoint disabled"


@dataclass(frozen=True, slots=True)
class Published:
    message: Message
    deliveries: int
    created: bool  # False when an idempotency key returned an earlier message
    delivery_ids: tuple[str, ...] = ()


def _check_keys(idempotency_key: str | None, ordering_key: str | None) -> None:
    errors = []
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        errors.append(FieldError("header.Idempotency-Key", "1–255 characters", idempotency_key))
    if ordering_key is not None and not 1 <= len(ordering_key) <= MAX_KEY_LENGTH:
        errors.append(FieldError("body.ordering_key", "1–255 characters", ordering_key))
    if errors:
        raise InvalidInput("The request is not valid.", errors=errors)


def encode_payload(payload: Any, *, limit: int) -> bytes:
    try:
        raw = orjson.dumps(payload)
    except TypeError as exc:
        raise InvalidInput(
            "The payload is not JSON.", errors=[FieldError("body.payload", str(exc))]
        ) from exc
    if len(raw) > limit:
        raise PayloadTooLarge(f"The payload is {len(raw)} bytes; the limit is {limit}.")
    return raw


async def publish(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    event_type: str,
    payload: Any,
    idempotency_key: str | None = None,
    ordering_key: str | None = None,
    only_endpoint: str | None = None,
) -> Published:
    """Store the message and its deliveries; wake the workers.

    `only_endpoint` targets one endpoint whatever it subscribes to (the test button).
    """
    require(principal, Permission.PUBLISH)
    _check_keys(idempotency_key, ordering_key)
    encode_payload(payload, limit=ctx.policy.max_payload_bytes)
    try:
        published = await _publish_once(
            ctx,
            principal,
            tenant,
            event_type,
            payload,
            idempotency_key,
            ordering_key,
            only_endpoint,
        )
    except IntegrityError:
        # Another request with the same idempotency key committed first (PostgreSQL);
        # answer with its message, as if we had arrived second.
        if idempotency_key is None:
            raise
        published = await _publish_once(
            ctx,
            principal,
            tenant,
            event_type,
            payload,
            idempotency_key,
            ordering_key,
            only_endpoint,
        )
    if published.created:
        telemetry.MESSAGES_PUBLISHED.inc()
        telemetry.DELIVERIES_CREATED.inc(published.deliveries)
        if published.deliveries:
            ctx.wakeup.poke()
    return published


async def _publish_once(
    ctx: Context,
    principal: Principal,
    tenant_ref: str,
    event_type: str,
    payload: Any,
    idempotency_key: str | None,
    ordering_key: str | None,
    only_endpoint: str | None,
) -> Published:
    now = utcnow()
    async with ctx.db.write() as conn:
        tenant = await resolve_tenant(conn, principal, tenant_ref)
        if idempotency_key is not None:
            earlier = await message_store.find_by_idempotency_key(
                conn, tenant_id=tenant.id, key=idempotency_key
            )
            if earlier is not None:
                window = timedelta(seconds=ctx.policy.idempotency_window_s)
                if earlier.created_at + window > now:
                    counts = await delivery_store.count_for_messages(conn, [earlier.id])
                    return Published(earlier, counts.get(earlier.id, 0), created=False)
                await message_store.forget_idempotency_key(conn, earlier.id)
        known = await event_type_store.get_event_type(conn, event_type)
        if known is None:
            raise InvalidInput(
                f"Unknown event type {event_type!r}.",
                errors=[FieldError("body.event_type", "unknown event type", event_type)],
            )
        if known.schema:
            problems = payload_errors(known.schema, payload)
            if problems:
                raise InvalidInput(
                    f"The payload does not match the schema of {event_type!r}.", errors=problems
                )
        message_id = new_id("msg")
        message = Message(
            id=message_id,
            tenant_id=tenant.id,
            event_type=event_type,
            body=message_body(
                message_id=message_id,
                event_type=event_type,
                created_at=now,
                data=payload,
            ),
            idempotency_key=idempotency_key,
            ordering_key=ordering_key,
            created_at=now,
        )
        rows = await _fan_out(conn, tenant, message, only_endpoint)
        await message_store.insert_messages(conn, [message])
        await delivery_store.insert_deliveries(conn, rows)
        if any(r.status is DeliveryStatus.PENDING for r in rows):
            await ctx.wakeup.announce(conn)
    return Published(message, len(rows), created=True, delivery_ids=tuple(r.id for r in rows))


async def _fan_out(
    conn: AsyncConnection, tenant: Tenant, message: Message, only_endpoint: str | None
) -> list[delivery_store.NewDelivery]:
    targets = await endpoint_store.fanout_targets(conn, tenant.id)
    if only_endpoint is not None:
        targets = [t for t in targets if t.id == only_endpoint]
        if not targets:
            raise NotFound(f"No endpoint {only_endpoint!r} in this tenant.")
    else:
        targets = [t for t in targets if subscribes(t.events, message.event_type)]
    return [
        delivery_store.NewDelivery(
            id=new_id("dlv"),
            message_id=message.id,
            endpoint_id=t.id,
            tenant_id=tenant.id,
            event_type=message.event_type,
            ordering_key=message.ordering_key,
            # FIFO endpoints order by key; no key means one queue for the whole endpoint.
            fifo_key=(message.ordering_key or "") if t.fifo else None,
            # A disabled endpoint receives nothing, but the message is not lost: its
            # delivery is recorded as failed so `recover` can send it after re-enabling.
            status=DeliveryStatus.PENDING if t.enabled else DeliveryStatus.FAILED,
            failure_reason=None if t.enabled else ENDPOINT_DISABLED,
            created_at=message.created_at,
        )
        for t in targets
    ]
