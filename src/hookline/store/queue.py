"""The queue: claiming due deliveries under a lease, renewing and releasing leases, and
writing attempt results back, fenced by the lease token.

A pending delivery is due when `next_attempt_at <= now`, `now` being the database's
clock (`store.clock`), whichever process asks. Claiming sets a fresh
`lease_token` and pushes `next_attempt_at` to the end of the lease, so the row is not
due for anyone else until the lease runs out; a worker that dies simply lets it run
out. Results are written only where the token still matches (fencing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Update,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.clock import utcnow
from hookline.domain.models import DeliveryStatus
from hookline.store.bulk import execute_many
from hookline.store.clock import db_now, db_now_plus
from hookline.store.deliveries import IS_PENDING
from hookline.store.schema import deliveries as t


@dataclass(frozen=True, slots=True)
class Claimed:
    id: str
    message_id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    attempt_count: int
    lease_token: str
    created_at: datetime
    # When it was due before this claim (the database's clock): everything due before it
    # was taken or passed over by the claim's walk (see `claim_due`, the floor).
    due_at: datetime
    claimed_at: datetime  # the database's now at the claim


_LEASE_UNTIL = db_now_plus(bindparam("b_lease", type_=Float))


def _claim_statement(
    *, skipping: bool, among_messages: bool, floored: bool, dialect: str
) -> Update:
    """The claim, built once (building and keying a statement this size on every call
    costs more than running it); see `claim_due` for why it is safe."""
    head = t.alias("head")
    older_pending = (
        select(head.c.id)
        .where(
            head.c.endpoint_id == t.c.endpoint_id,
            head.c.fifo_key == t.c.fifo_key,
            head.c.fifo_key.is_not(None),
            head.c.status == literal_column("'pending'"),
            head.c.id < t.c.id,
        )
        .exists()
    )
    due = (
        select(t.c.id, t.c.next_attempt_at.label("due_at"))
        .where(IS_PENDING, t.c.next_attempt_at <= db_now())
        .where(or_(t.c.fifo_key.is_(None), ~older_pending))
        .order_by(t.c.next_attempt_at)
        .limit(bindparam("b_limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    if skipping:
        due = due.where(t.c.endpoint_id.not_in(bindparam("b_skip", expanding=True)))
    if among_messages:  # looked up by message (its index), not by walking the due queue
        due = due.where(t.c.message_id.in_(bindparam("b_messages", expanding=True)))
    if floored:  # the walk starts at the floor, not at the head of the due queue
        due = due.where(t.c.next_attempt_at >= bindparam("b_floor"))
    picked = due.cte("due")
    returned: list[Any] = [
        t.c.id,
        t.c.message_id,
        t.c.endpoint_id,
        t.c.tenant_id,
        t.c.event_type,
        t.c.attempt_count,
        t.c.created_at,
    ]
    stmt = (
        update(t)
        .where(t.c.id == picked.c.id)
        .values(lease_token=bindparam("b_token"), next_attempt_at=_LEASE_UNTIL)
    )
    if dialect == "postgresql":  # the due time before the claim, from the CTE's row
        return stmt.returning(*returned, picked.c.due_at, db_now().label("claimed_at"))
    # SQLite's RETURNING sees only the updated table. A delivery is never due before it
    # was created, so its creation is a safe (earlier) stand-in for the walk's floor;
    # and every process on a SQLite file shares one machine's clock, which is the
    # database's: creation, due and claim times come from it (see `claim_due`).
    return stmt.returning(*returned)


_CLAIMS = {
    (skipping, among, floored, dialect): _claim_statement(
        skipping=skipping, among_messages=among, floored=floored, dialect=dialect
    )
    for skipping in (False, True)
    for among in (False, True)
    for floored in (False, True)
    for dialect in ("postgresql", "sqlite")
}


async def claim_due(
    conn: AsyncConnection,
    *,
    lease_seconds: float,
    token: str,
    limit: int,
    skip_endpoints: Sequence[str] = (),
    among_messages: Sequence[str] = (),
    floor: datetime | None = None,
) -> list[Claimed]:
    """Claim up to `limit` due deliveries for one lease of `lease_seconds` (`among_messages`:
    only deliveries of these messages; `floor`: only deliveries due at or after it).
    Due and the lease's end are the database's clock (`store.clock`).

    Why this is safe with many workers: on PostgreSQL the CTE locks the rows it picks
    with FOR UPDATE SKIP LOCKED, so two concurrent claims never pick the same row (each
    skips what the other has locked) and neither waits for the other. The UPDATE then
    moves `next_attempt_at` to the end of the lease and sets a fresh token, so once
    committed the row is no longer due for anyone until the lease runs out. On SQLite
    the statement runs in a write transaction (BEGIN IMMEDIATE), which already excludes
    every other writer. `skip_endpoints` lets a worker leave alone endpoints it cannot
    send to now (their slots are taken, or it already has enough of them waiting).

    FIFO: a delivery with a `fifo_key` is claimable only while no older delivery of the
    same (endpoint, key) is pending. The head stays pending while in flight and while
    waiting for a retry, so its successors wait until it is delivered or final; and
    because the head is already pending when a successor is looked at, no two claims
    can both see a successor as the head.

    The floor: a claim walks the due queue from its head, in due order, past every
    delivery it may not take (a skipped endpoint's, a FIFO successor's). So whatever
    was due before the last delivery it took was taken or passed over (`due_at`). While
    nothing it passed over can have become claimable, the next claim can start there
    (`floor`) instead of walking past them all again; the claim planner decides when
    that holds (`delivery.claim_plan`).
    """
    stmt = _CLAIMS[bool(skip_endpoints), bool(among_messages), floor is not None, _dialect(conn)]
    params: dict[str, object] = {"b_limit": limit, "b_token": token, "b_lease": lease_seconds}
    if skip_endpoints:
        params["b_skip"] = list(skip_endpoints)
    if among_messages:
        params["b_messages"] = list(among_messages)
    if floor is not None:
        params["b_floor"] = floor
    rows = (await conn.execute(stmt, params)).all()
    sqlite_now = utcnow() if _dialect(conn) == "sqlite" else None  # the file machine's clock
    return [
        Claimed(
            id=r.id,
            message_id=r.message_id,
            endpoint_id=r.endpoint_id,
            tenant_id=r.tenant_id,
            event_type=r.event_type,
            attempt_count=r.attempt_count,
            lease_token=token,
            created_at=r.created_at,
            due_at=r.created_at if sqlite_now else r.due_at,
            claimed_at=sqlite_now or r.claimed_at,
        )
        for r in rows
    ]


def _dialect(conn: AsyncConnection) -> str:
    return "postgresql" if conn.dialect.name == "postgresql" else "sqlite"


_RENEW = (
    update(t)
    .where(t.c.lease_token.in_(bindparam("b_tokens", expanding=True)), IS_PENDING)
    .values(next_attempt_at=_LEASE_UNTIL)
)


async def renew_leases(
    conn: AsyncConnection, *, tokens: Sequence[str], lease_seconds: float
) -> int:
    """Extend every lease still held under these tokens to `lease_seconds` from now.

    Safe against a takeover: a row whose lease ran out and was claimed again carries the
    new claim's token, so it no longer matches and its new lease is left alone."""
    if not tokens:
        return 0
    result = await conn.execute(_RENEW, {"b_tokens": list(tokens), "b_lease": lease_seconds})
    return int(result.rowcount or 0)


# Where a given-back delivery goes: as good as back to its place in the due queue. The
# claim moved `next_attempt_at` to the end of its lease; it was due at creation (a first
# attempt, where this puts it back exactly) or after its last attempt (a retry: its
# place among the retries).
# Both were written by some process's clock: never later than the database's now, so a
# given-back delivery is due at once whatever clock wrote them.
_BACK_IN_PLACE = case(
    (
        func.coalesce(t.c.last_attempt_at, t.c.created_at) < db_now(),
        func.coalesce(t.c.last_attempt_at, t.c.created_at),
    ),
    else_=db_now(),
)


_RELEASE = (
    update(t)
    .where(t.c.id == bindparam("b_id"), t.c.lease_token == bindparam("b_token"))
    .values(lease_token=None, next_attempt_at=_BACK_IN_PLACE)
)
_RELEASE_LATER = (
    update(t)
    .where(t.c.id == bindparam("b_id"), t.c.lease_token == bindparam("b_token"))
    .values(lease_token=None, next_attempt_at=db_now_plus(bindparam("b_delay", type_=Float)))
)


async def release(
    conn: AsyncConnection, held: Sequence[tuple[str, str]], *, delay: float | None = None
) -> None:
    """Give deliveries back to the queue (id, token pairs): due at once and in their
    place, not behind everything that became due while they were held; or, with
    `delay`, due that many seconds from now (handed back after a failure of Hookline's
    own, so that it is not claimed again at once).

    Fenced like results: only rows still carrying the releasing claim's token change, so
    a release can never undo another worker's newer claim."""
    if not held:
        return
    if delay is None:
        await conn.execute(_RELEASE, [{"b_id": i, "b_token": tok} for i, tok in held])
        return
    await conn.execute(
        _RELEASE_LATER, [{"b_id": i, "b_token": tok, "b_delay": delay} for i, tok in held]
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt did to its delivery."""

    delivery_id: str
    lease_token: str
    status: DeliveryStatus
    retry_in: float | None  # seconds from the database's now to the next attempt
    attempted_at: datetime
    response_code: int | None
    failure_reason: str | None


_RECORD_OUTCOME = (
    update(t)
    .where(t.c.id == bindparam("b_id"), t.c.lease_token == bindparam("b_token"))
    .values(
        status=bindparam("b_status"),
        attempt_count=t.c.attempt_count + 1,
        next_attempt_at=case(
            (bindparam("b_retry", type_=Float).is_(None), null()),
            else_=db_now_plus(bindparam("b_retry", type_=Float)),
        ),
        lease_token=None,
        last_attempt_at=bindparam("b_at"),
        last_response_code=bindparam("b_code"),
        failure_reason=bindparam("b_reason"),
        updated_at=db_now(),
    )
)


async def record_outcomes(conn: AsyncConnection, outcomes: Sequence[Outcome]) -> None:
    """Write attempt results onto their deliveries.

    Fencing: each row is updated only while it still carries the lease token of the
    claim that made the attempt. A worker whose lease ran out (and whose delivery was
    claimed again) therefore cannot overwrite the newer claim's state.
    """
    await execute_many(
        conn,
        _RECORD_OUTCOME,
        [
            {
                "b_id": o.delivery_id,
                "b_token": o.lease_token,
                "b_status": o.status.value,
                "b_retry": o.retry_in,
                "b_at": o.attempted_at,
                "b_code": o.response_code,
                "b_reason": o.failure_reason,
            }
            for o in outcomes
        ],
    )


async def finish_without_attempt(
    conn: AsyncConnection,
    held: Sequence[tuple[str, str]],
    *,
    status: DeliveryStatus,
    reason: str,
) -> None:
    """Make claimed deliveries final without sending (endpoint deleted or disabled
    meanwhile); fenced by the claim's token, like a result."""
    if not held:
        return
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"), t.c.lease_token == bindparam("b_token"))
        .values(
            status=status.value,
            next_attempt_at=None,
            lease_token=None,
            failure_reason=reason,
            updated_at=db_now(),
        )
    )
    await conn.execute(stmt, [{"b_id": i, "b_token": tok} for i, tok in held])


_NEXT_DUE = select(
    select(t.c.next_attempt_at)
    .where(IS_PENDING)
    .order_by(t.c.next_attempt_at)
    .limit(1)
    .scalar_subquery(),
    db_now(),
)


async def next_due_in(conn: AsyncConnection) -> float | None:
    """Seconds until the earliest pending delivery becomes due, by the database's clock
    (≤ 0: due already); None when nothing is pending. For the worker's sleep."""
    due, now = (await conn.execute(_NEXT_DUE)).one()
    return None if due is None else (due - now).total_seconds()


@dataclass(frozen=True, slots=True)
class QueueStats:
    pending: int
    due: int
    oldest_due_at: datetime | None
    now: datetime  # the database's clock when they were read

    @property
    def oldest_due_age(self) -> float:
        """Seconds the oldest due delivery has been waiting (0 when none is)."""
        if self.oldest_due_at is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_due_at).total_seconds())


async def queue_stats(conn: AsyncConnection) -> QueueStats:
    """Sizes of the queue for /metrics, served by the partial index on pending rows."""
    now = (await conn.execute(select(db_now()))).scalar_one()
    pending = await conn.execute(select(func.count()).select_from(t).where(IS_PENDING))
    due_now = and_(IS_PENDING, t.c.next_attempt_at <= now)
    due = await conn.execute(select(func.count()).select_from(t).where(due_now))
    oldest = await conn.execute(
        select(t.c.next_attempt_at).where(due_now).order_by(t.c.next_attempt_at).limit(1)
    )
    return QueueStats(
        int(pending.scalar_one()), int(due.scalar_one()), oldest.scalar_one_or_none(), now
    )


_EXISTING = select(t.c.id).where(t.c.id.in_(bindparam("b_ids", expanding=True)))


async def existing_ids(conn: AsyncConnection, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = await conn.execute(_EXISTING, {"b_ids": list(set(ids))})
    return {r.id for r in rows}
