"""Endpoint slots: the cap on an endpoint's attempts in flight, held by every worker
together (DESIGN §3).

A worker sends to an endpoint only within the slots it holds. It takes them in the
transaction that claims the endpoint's deliveries (`take`): under the endpoint's lock
it reads what the other workers' live rows hold and the endpoint's limit, and keeps no
more than the difference. A row lives as long as a lease: `renew` extends the rows it
still has, so a worker that dies (or stalls past its lease) loses them, and they come
back to the others at the time its deliveries' leases run out. Every time compared here
is the database's (`store.clock`).

The limit is the endpoint's `max_in_flight` (or the deployment's default), lowered by
back-pressure while `concurrency_limit` says so (`endpoint_health.fold_limits`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Float, Integer, String, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.clock import db_now, db_now_plus
from hookline.store.schema import endpoint_slots as t
from hookline.store.schema import endpoints

# The namespace of the per-endpoint advisory locks (PostgreSQL): "slot".
_LOCK_SPACE = 0x736C6F74


@dataclass(frozen=True, slots=True)
class Grant:
    """What one worker holds of an endpoint after `take` or `renew`."""

    endpoint_id: str
    held: int  # slots this worker holds
    others: int  # slots the other workers' live rows hold
    limit: int  # the endpoint's limit now: max_in_flight, lowered by back-pressure


def limit_of(max_in_flight: int | None, concurrency_limit: float | None, default: int) -> int:
    """An endpoint's limit on attempts in flight, from its row."""
    cap = max_in_flight or default
    if concurrency_limit is None:
        return cap
    return max(1, min(cap, math.floor(concurrency_limit)))


_LOCK = text(
    "SELECT pg_advisory_xact_lock(:space, hashtext(id))"
    " FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS ids(id, n) ORDER BY n"
).bindparams(bindparam("ids", type_=ARRAY(String)))

_LIMITS = select(endpoints.c.id, endpoints.c.max_in_flight, endpoints.c.concurrency_limit).where(
    endpoints.c.id.in_(bindparam("b_ids", expanding=True))
)

_OTHERS = (
    select(t.c.endpoint_id, func.sum(t.c.held).label("held"))
    .where(
        t.c.endpoint_id.in_(bindparam("b_ids", expanding=True)),
        t.c.holder != bindparam("b_holder"),
        t.c.expires_at > db_now(),
    )
    .group_by(t.c.endpoint_id)
)

_FORGET_EXPIRED = delete(t).where(
    t.c.endpoint_id.in_(bindparam("b_ids", expanding=True)), t.c.expires_at <= db_now()
)

_DROP = delete(t).where(t.c.holder == bindparam("b_holder"), t.c.endpoint_id == bindparam("b_id"))

_UNTIL = db_now_plus(bindparam("b_lease", type_=Float))


def _upsert(dialect: str) -> Any:
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_fn(t).values(
        endpoint_id=bindparam("b_id"),
        holder=bindparam("b_holder"),
        held=bindparam("b_held", type_=Integer),
        expires_at=_UNTIL,
    )
    return stmt.on_conflict_do_update(
        index_elements=[t.c.endpoint_id, t.c.holder],
        set_={"held": stmt.excluded.held, "expires_at": stmt.excluded.expires_at},
    )


_UPSERT = {d: _upsert(d) for d in ("postgresql", "sqlite")}


async def take(
    conn: AsyncConnection,
    *,
    holder: str,
    wants: Mapping[str, int],
    default_limit: int,
    lease_seconds: float,
) -> dict[str, Grant]:
    """Hold as many of `wants[endpoint]` slots as each endpoint's limit leaves beside
    the other workers' live slots (0 lets go of the endpoint), until the lease ends.

    Why the slots never add up past the limit with many workers: on PostgreSQL this
    transaction first takes each endpoint's advisory lock (in one order, so two claims
    cannot deadlock), and only then, in a later statement and therefore a later
    snapshot under READ COMMITTED, reads what the others hold: any claim that held the
    lock before us has committed its rows and is counted. The lock is held to this
    transaction's end, so no one counts before our rows are visible. On SQLite the
    write transaction already excludes every other writer.
    """
    if not wants:
        return {}
    ids = sorted(wants)
    if conn.dialect.name == "postgresql":
        await conn.execute(_LOCK, {"space": _LOCK_SPACE, "ids": ids})
    await conn.execute(_FORGET_EXPIRED, {"b_ids": ids})
    limits = {
        r.id: limit_of(r.max_in_flight, r.concurrency_limit, default_limit)
        for r in await conn.execute(_LIMITS, {"b_ids": ids})
    }
    others = {
        r.endpoint_id: int(r.held)
        for r in await conn.execute(_OTHERS, {"b_ids": ids, "b_holder": holder})
    }
    grants: dict[str, Grant] = {}
    keep: list[dict[str, Any]] = []
    drop: list[dict[str, Any]] = []
    for endpoint_id in ids:
        if endpoint_id not in limits:  # deleted meanwhile: nothing to hold
            continue
        limit, taken = limits[endpoint_id], others.get(endpoint_id, 0)
        held = max(0, min(wants[endpoint_id], limit - taken))
        grants[endpoint_id] = Grant(endpoint_id, held, taken, limit)
        row = {"b_id": endpoint_id, "b_holder": holder}
        if held:
            keep.append({**row, "b_held": held, "b_lease": lease_seconds})
        else:
            drop.append(row)
    if keep:
        await conn.execute(_UPSERT[conn.dialect.name], keep)
    if drop:
        await conn.execute(_DROP, drop)
    return grants


_RENEW = (
    update(t)
    .where(t.c.holder == bindparam("b_holder"), t.c.expires_at > db_now())
    .values(expires_at=_UNTIL)
    .returning(t.c.endpoint_id, t.c.held)
)


async def renew(
    conn: AsyncConnection, *, holder: str, lease_seconds: float, default_limit: int
) -> dict[str, Grant]:
    """Extend this worker's live slots; what it still holds, with the others' and the
    limits now. A row that ran out is not brought back: its slots may be someone else's."""
    held = {
        r.endpoint_id: int(r.held)
        for r in await conn.execute(_RENEW, {"b_holder": holder, "b_lease": lease_seconds})
    }
    if not held:
        return {}
    ids = sorted(held)
    limits = {
        r.id: limit_of(r.max_in_flight, r.concurrency_limit, default_limit)
        for r in await conn.execute(_LIMITS, {"b_ids": ids})
    }
    others = {
        r.endpoint_id: int(r.held)
        for r in await conn.execute(_OTHERS, {"b_ids": ids, "b_holder": holder})
    }
    return {
        ep: Grant(ep, n, others.get(ep, 0), limits.get(ep, default_limit)) for ep, n in held.items()
    }


async def release(
    conn: AsyncConnection, *, holder: str, endpoint_ids: Sequence[str] | None = None
) -> None:
    """Let go of this worker's slots of these endpoints (None: of every endpoint)."""
    if endpoint_ids is None:
        await conn.execute(delete(t).where(t.c.holder == holder))
    elif endpoint_ids:
        await conn.execute(_DROP, [{"b_id": ep, "b_holder": holder} for ep in endpoint_ids])


async def held_by(conn: AsyncConnection, endpoint_id: str) -> dict[str, int]:
    """Live slots of one endpoint, by holder (for tests and operators)."""
    rows = await conn.execute(
        select(t.c.holder, t.c.held).where(
            t.c.endpoint_id == endpoint_id, t.c.expires_at > db_now()
        )
    )
    return {r.holder: int(r.held) for r in rows}
