"""Publishing: one message, fanned out to a delivery per subscribed endpoint, in one
transaction, so an answered publish is never lost.

Concurrent publishes share that transaction (group commit): a batch looks up its
tenants, event types, subscriptions and idempotency keys with one query each, then
writes every message and delivery at once. Each publish still gets its own answer: a
refused one (unknown tenant or event type, bad payload) writes nothing.

An idempotency key names one request for 24 h (DESIGN §3): the same request again is
answered with the first message (200); another request with the key (other event type,
payload or ordering key, compared by `payload.request_fingerprint`) is refused with 409,
so that a second, different event never vanishes as a "repeat".
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline import telemetry, tracing
from hookline.domain.channels import checked_channels, receives
from hookline.domain.clock import utcnow
from hookline.domain.errors import (
    Conflict,
    FieldError,
    HooklineError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from hookline.domain.ids import new_id
from hookline.domain.matching import subscribes
from hookline.domain.models import DeliveryStatus, Message, Principal
from hookline.domain.payload import (
    MAX_PAYLOAD_DEPTH,
    body_data,
    message_body,
    nesting_depth,
    request_fingerprint,
)
from hookline.domain.payload_schema import payload_errors
from hookline.services.access import Permission, require, tenant_visible
from hookline.services.context import Context
from hookline.store import deliveries as delivery_store
from hookline.store import endpoints as endpoint_store
from hookline.store import event_types as event_type_store
from hookline.store import messages as message_store
from hookline.store import tenants as tenant_store
from hookline.store.database import Database
from hookline.store.group_commit import GroupCommit

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
    """Refuses what cannot become a message (422, 413) before anything is stored."""
    try:
        # Written inside a list of one, which stands for the envelope's level
        # (`message_body`): what orjson writes alone but not inside it is refused here.
        raw = orjson.dumps([payload])[1:-1]
    except TypeError as exc:  # orjson.JSONEncodeError is one
        if nesting_depth(payload, beyond=MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH:
            raise InvalidInput(
                f"The payload is nested more than {MAX_PAYLOAD_DEPTH} levels deep.",
                errors=[
                    FieldError(
                        "body.payload",
                        f"nested more than {MAX_PAYLOAD_DEPTH} levels deep (the limit)",
                    )
                ],
            ) from exc
        raise InvalidInput(
            "The payload is not JSON.", errors=[FieldError("body.payload", str(exc))]
        ) from exc
    if len(raw) > limit:
        raise PayloadTooLarge(f"The payload is {len(raw)} bytes; the limit is {limit}.")
    return raw


@dataclass(frozen=True, slots=True)
class _Request:
    principal: Principal
    tenant_ref: str
    event_type: str
    payload: Any
    idempotency_key: str | None
    ordering_key: str | None
    only_endpoint: str | None
    message_id: str
    created_at: datetime
    window: timedelta
    fingerprint: str | None  # only with an idempotency key: what a repeat is compared by
    trace_context: str | None = None  # the publish span's traceparent, stored with the row
    channels: tuple[str, ...] = ()


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
    channels: Sequence[str] | None = None,
) -> Published:
    """Store the message and its deliveries; wake the workers.

    `only_endpoint` targets one endpoint whatever it subscribes to (the test button).
    `channels` (up to ten) narrow it to the endpoints that listen to one of them, besides
    those that listen to no channel at all.
    """
    request = _request(
        ctx,
        principal,
        tenant=tenant,
        event_type=event_type,
        payload=payload,
        idempotency_key=idempotency_key,
        ordering_key=ordering_key,
        only_endpoint=only_endpoint,
        channels=channels,
    )
    if not tracing.ENABLED:
        return await _submit(ctx, request)
    with tracing.publishing(
        tenant=tenant, event_type=event_type, message_id=request.message_id
    ) as span:
        published = await _submit(ctx, replace(request, trace_context=span.traceparent))
        span.published(
            message_id=published.message.id,
            tenant_id=published.message.tenant_id,
            deliveries=published.deliveries,
            created=published.created,
        )
        return published


def _request(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    event_type: str,
    payload: Any,
    idempotency_key: str | None,
    ordering_key: str | None,
    only_endpoint: str | None,
    channels: Sequence[str] | None,
) -> _Request:
    """The checks a publish passes before the database is asked (403, 422, 413)."""
    require(principal, Permission.PUBLISH)
    _check_keys(idempotency_key, ordering_key)
    message_channels = checked_channels(channels, "body.channels")
    encode_payload(payload, limit=ctx.policy.max_payload_bytes)
    return _Request(
        principal=principal,
        tenant_ref=tenant,
        event_type=event_type,
        payload=payload,
        idempotency_key=idempotency_key,
        ordering_key=ordering_key,
        only_endpoint=only_endpoint,
        message_id=new_id("msg"),
        created_at=utcnow(),
        window=timedelta(seconds=ctx.policy.idempotency_window_s),
        fingerprint=request_fingerprint(
            event_type=event_type,
            payload=payload,
            ordering_key=ordering_key,
            channels=message_channels,
        )
        if (idempotency_key is not None)
        else None,
        channels=message_channels,
    )


async def publish_within(
    ctx: Context,
    conn: AsyncConnection,
    principal: Principal,
    *,
    tenant: str,
    events: Sequence[tuple[str, Any]],
    only_endpoint: str | None = None,
) -> list[Published | HooklineError]:
    """Publish `events` (event type, payload) inside the caller's write transaction, so
    that they are written if and only if what the caller writes is (Hookline's own
    events, with the results that caused them: `delivery.recorder`).

    The same checks, fan-out and rows as `publish`, without its group commit. Each
    event's outcome, in order: what was published, or the error that refused it (and
    wrote nothing of it). The caller's transaction does not announce the deliveries:
    the workers' next poll finds them.
    """
    outcomes: list[Published | HooklineError | None] = []
    requests: list[_Request] = []
    for event_type, payload in events:
        try:
            requests.append(
                _request(
                    ctx,
                    principal,
                    tenant=tenant,
                    event_type=event_type,
                    payload=payload,
                    idempotency_key=None,
                    ordering_key=None,
                    only_endpoint=only_endpoint,
                    channels=None,
                )
            )
        except HooklineError as exc:
            outcomes.append(exc)
            continue
        outcomes.append(None)
    settled = iter(await _publish_batch(ctx, conn, requests, announce=False) if requests else [])
    out: list[Published | HooklineError] = []
    for outcome in outcomes:
        if outcome is None:
            result = next(settled)
            if not isinstance(result, (Published, HooklineError)):
                raise result  # nothing else is settled per request
            outcome = result
        out.append(outcome)
    return out


async def _submit(ctx: Context, request: _Request) -> Published:
    try:
        published = await _committer(ctx).submit(request)
    except IntegrityError:
        # Another process stored a message with this idempotency key since the batch
        # looked (its unique index refused ours), or the tenant or an endpoint was
        # deleted meanwhile. Once more: now the batch sees what the other one committed
        # and answers as for any repeat (200, or 409 for another request).
        try:
            published = await _committer(ctx).submit(request)
        except IntegrityError as exc:
            raise Conflict(
                "The tenant or its endpoints changed while publishing; nothing was stored. "
                "Publish again."
            ) from exc
    if published.created:
        telemetry.MESSAGES_PUBLISHED.inc()
        telemetry.DELIVERIES_CREATED.inc(published.deliveries)
        if published.deliveries:
            ctx.wakeup.poke()
    return published


_committers: weakref.WeakKeyDictionary[Database, GroupCommit[_Request, Published]] = (
    weakref.WeakKeyDictionary()
)


def _committer(ctx: Context) -> GroupCommit[_Request, Published]:
    committer = _committers.get(ctx.db)
    if committer is None:

        async def apply(
            conn: AsyncConnection, requests: Sequence[_Request]
        ) -> list[Published | BaseException]:
            return await _publish_batch(ctx, conn, requests)

        committer = _committers[ctx.db] = GroupCommit(ctx.db, apply)
    return committer


async def _publish_batch(
    ctx: Context, conn: AsyncConnection, requests: Sequence[_Request], *, announce: bool = True
) -> list[Published | BaseException]:
    """Inside one write transaction: settle every request, write the accepted ones.
    `announce`: tell the workers of the deliveries it made due (see `Wakeup.announce`:
    the transaction made no others)."""
    tenants = await tenant_store.get_tenants(conn, [r.tenant_ref for r in requests])
    known = await event_type_store.get_event_types(conn, list({r.event_type for r in requests}))
    outcomes: list[Published | BaseException | None] = []
    accepted: list[tuple[int, _Request, str]] = []  # (index, request, tenant id)
    for i, r in enumerate(requests):
        try:
            owner = tenant_visible(r.principal, r.tenant_ref, tenants.get(r.tenant_ref))
            _check_event(r, known.get(r.event_type))
        except Exception as exc:
            outcomes.append(exc)
            continue
        outcomes.append(None)
        accepted.append((i, r, owner.id))
    targets = await endpoint_store.fanout_targets_many(conn, list({tid for _, _, tid in accepted}))
    keyed = [(tid, r.idempotency_key) for _, r, tid in accepted if r.idempotency_key]
    earlier = await message_store.find_by_idempotency_keys(conn, keyed)
    first_with_key: dict[tuple[str, str], int] = {}
    messages: list[Message] = []
    rows: list[delivery_store.NewDelivery] = []
    replays: dict[int, Message] = {}
    for i, r, tid in accepted:
        pair = (tid, r.idempotency_key or "")
        if r.idempotency_key is not None:
            first = messages[first_with_key[pair]] if pair in first_with_key else None
            found = earlier.get(pair)
            if first is None and found is not None:
                if found.created_at + r.window > r.created_at:
                    first = found
                else:  # its 24 h are over: the key may name a new message
                    await message_store.forget_idempotency_key(conn, found.id)
                    del earlier[pair]
            if first is not None:  # a twin earlier in this batch, or in the database
                if first.fingerprint is not None and first.fingerprint != r.fingerprint:
                    outcomes[i] = _mismatch(r, first)
                else:
                    replays[i] = first
                continue
        message = _message(r, tid)
        try:
            fanned = _fan_out(targets.get(tid, []), message, r.only_endpoint)
        except Exception as exc:
            outcomes[i] = exc
            continue
        if r.idempotency_key is not None:
            first_with_key[pair] = len(messages)
        messages.append(message)
        rows.extend(fanned)
        outcomes[i] = Published(
            message, len(fanned), created=True, delivery_ids=tuple(d.id for d in fanned)
        )
    await message_store.insert_messages(conn, messages)
    await delivery_store.insert_deliveries(conn, rows)
    if announce and any(d.status is DeliveryStatus.PENDING for d in rows):
        await ctx.wakeup.announce(conn, bodies={m.id: m.body for m in messages})
    written = {o.message.id: o for o in outcomes if isinstance(o, Published)}
    counts = await delivery_store.count_for_messages(
        conn, [m.id for m in replays.values() if m.id not in written]
    )
    for i, m in replays.items():
        twin = written.get(m.id)
        n = twin.deliveries if twin is not None else counts.get(m.id, 0)
        outcomes[i] = Published(m, n, created=False)
    return [o for o in outcomes if o is not None]


def _mismatch(r: _Request, first: Message) -> Conflict:
    """The 409 for a key reused with another request, naming what differs."""
    errors = []
    if first.event_type != r.event_type:
        errors.append(FieldError("body.event_type", "differs from the first request", r.event_type))
    if first.ordering_key != r.ordering_key:
        errors.append(
            FieldError("body.ordering_key", "differs from the first request", r.ordering_key)
        )
    if body_data(first.body) != r.payload:
        errors.append(FieldError("body.payload", "differs from the first request"))
    return Conflict(
        f"The idempotency key {r.idempotency_key!r} was used within 24 h for a different "
        f"request (message {first.id}); nothing was stored. Publish a different event "
        "with a key of its own.",
        errors=errors,
    )


def _check_event(r: _Request, known: Any) -> None:
    if known is None:
        raise InvalidInput(
            f"Unknown event type {r.event_type!r}.",
            errors=[FieldError("body.event_type", "unknown event type", r.event_type)],
        )
    if known.schema:
        problems = payload_errors(known.schema, r.payload)
        if problems:
            raise InvalidInput(
                f"The payload does not match the schema of {r.event_type!r}.", errors=problems
            )


def _message(r: _Request, tenant_id: str) -> Message:
    return Message(
        id=r.message_id,
        tenant_id=tenant_id,
        event_type=r.event_type,
        body=message_body(
            message_id=r.message_id,
            event_type=r.event_type,
            created_at=r.created_at,
            data=r.payload,
        ),
        idempotency_key=r.idempotency_key,
        ordering_key=r.ordering_key,
        created_at=r.created_at,
        fingerprint=r.fingerprint,
        trace_context=r.trace_context,
        channels=r.channels,
    )


def _fan_out(
    targets: list[endpoint_store.FanoutTarget], message: Message, only_endpoint: str | None
) -> list[delivery_store.NewDelivery]:
    if only_endpoint is not None:
        targets = [t for t in targets if t.id == only_endpoint]
        if not targets:
            raise NotFound(f"No endpoint {only_endpoint!r} in this tenant.")
    else:
        targets = [
            t
            for t in targets
            if subscribes(t.events, message.event_type) and receives(t.channels, message.channels)
        ]
    return [
        delivery_store.NewDelivery(
            id=new_id("dlv"),
            message_id=message.id,
            endpoint_id=t.id,
            tenant_id=message.tenant_id,
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
