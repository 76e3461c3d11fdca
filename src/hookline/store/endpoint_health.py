"""Endpoint health in the database: consecutive failures, last times, the start of a
failing run, disabling; back-pressure's shared limit; and the shared rate-limit slots.

Every cut-off compares against the database's clock (`store.clock`): the start of a
failing run is the database's time when its first failure was written, and
HOOKLINE_DISABLE_AFTER is measured from there by the database too, whichever worker
writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, Integer, bindparam, case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.flow import fold
from hookline.store.clock import db_epoch, db_now, db_now_plus
from hookline.store.schema import endpoints as t
from hookline.store.schema import rate_slots

_CAP = func.coalesce(t.c.max_in_flight, bindparam("b_cap", type_=Integer))


def _grown_limit(successes: Any) -> Any:
    """SQL for the shared limit after `successes` successes in a row: each adds
    1/limit (about; `domain.flow.grown`), and back at the cap it is NULL again."""
    after = t.c.concurrency_limit + successes / t.c.concurrency_limit
    return case(
        (t.c.concurrency_limit.is_(None), None),
        (after >= _CAP, None),
        else_=after,
    )


_MARK_HEALTHY = (
    update(t)
    .where(t.c.id == bindparam("b_id"))
    .values(
        failure_count=0,
        failing_since=None,
        last_success_at=bindparam("b_at"),
        concurrency_limit=_grown_limit(bindparam("b_successes", type_=Float)),
    )
)


@dataclass(frozen=True, slots=True)
class HealthChange:
    endpoint_id: str
    succeeded: bool
    at: datetime  # when the attempt started (shown; nothing compares it)
    overloaded: bool | None = None  # back-pressure: True shrinks, False grows, None neither


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """A change worth telling the operator about."""

    kind: str  # "failing" | "disabled"
    endpoint_id: str
    tenant_id: str
    url: str
    failure_count: int
    failing_since: datetime | None
    reason: str | None = None


@dataclass
class _Folded:
    fails: int = 0
    successes: int = 0  # since the last failure
    reset: bool = False  # a success came in this batch
    failed_after_reset: bool = False
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    signals: list[bool] | None = None  # overloads and successes in order, if any overload


async def record_health(
    conn: AsyncConnection,
    changes: Sequence[HealthChange],
    *,
    disable_after: timedelta | None = None,
    failing_after: int = 0,
    default_cap: int = 10,
) -> tuple[list[HealthEvent], dict[str, float | None]]:
    """Fold attempt outcomes into `failure_count` (consecutive failures), last times,
    `failing_since` and the shared back-pressure limit; disable endpoints that have
    failed for `disable_after`.

    Outcomes are folded per endpoint first, so a batch costs one statement per endpoint
    (a batch of nothing but successes, the common case, one statement in all). A batch
    with no success adds to the stored count with a relative update, so two workers
    writing the same endpoint do not lose failures. Returns the endpoints that crossed
    `failing_after` consecutive failures and those disabled here, and the new limits of
    the endpoints whose limit an overload moved (None: at the cap).
    """
    folded: dict[str, _Folded] = {}
    for ch in sorted(changes, key=lambda c: c.at):
        acc = folded.setdefault(ch.endpoint_id, _Folded())
        if ch.overloaded is True and acc.signals is None:
            acc.signals = [False] * acc.successes
        if acc.signals is not None and ch.overloaded is not None:
            acc.signals.append(ch.overloaded)
        if ch.succeeded:
            acc.fails, acc.reset, acc.failed_after_reset = 0, True, False
            acc.successes += 1
            acc.last_success_at = ch.at
        else:
            acc.fails += 1
            acc.failed_after_reset = acc.reset
            acc.last_failure_at = ch.at
    limits = await _fold_overloads(conn, folded, default_cap)
    healthy = [
        {
            "b_id": ep,
            "b_at": acc.last_success_at,
            "b_successes": acc.successes,
            "b_cap": default_cap,
        }
        for ep, acc in folded.items()
        if acc.reset and not acc.fails and acc.last_failure_at is None and acc.signals is None
    ]
    if healthy:
        await conn.execute(_MARK_HEALTHY, healthy)
    done = {row["b_id"] for row in healthy}
    events: list[HealthEvent] = []
    for endpoint_id, acc in folded.items():
        if endpoint_id in done:
            continue
        values: dict[str, Any] = {}
        if acc.last_success_at is not None:
            values["last_success_at"] = acc.last_success_at
        if acc.last_failure_at is not None:
            values["last_failure_at"] = acc.last_failure_at
        if acc.reset:
            values["failure_count"] = acc.fails
            values["failing_since"] = db_now() if acc.fails else None
        else:
            values["failure_count"] = t.c.failure_count + acc.fails
            values["failing_since"] = func.coalesce(t.c.failing_since, db_now())
        if acc.signals is None and acc.successes:
            values["concurrency_limit"] = _grown_limit(literal(float(acc.successes)))
        overdue = (
            t.c.failing_since <= db_now_plus(-disable_after.total_seconds())
            if disable_after is not None
            else literal(False)
        )
        row = (
            await conn.execute(
                update(t)
                .where(t.c.id == endpoint_id)
                .values(**values)
                .returning(
                    t.c.tenant_id,
                    t.c.url,
                    t.c.failure_count,
                    t.c.failing_since,
                    t.c.enabled,
                    overdue.label("overdue"),
                ),
                {"b_cap": default_cap},
            )
        ).first()
        if row is None or not acc.fails:
            continue
        before = row.failure_count - acc.fails
        if failing_after and before < failing_after <= row.failure_count:
            events.append(
                HealthEvent(
                    "failing",
                    endpoint_id,
                    row.tenant_id,
                    row.url,
                    row.failure_count,
                    row.failing_since,
                )
            )
        if disable_after is not None and row.enabled and row.overdue:
            reason = f"every attempt failed for {_duration(disable_after)}"
            if await disable(conn, endpoint_id, reason=reason):
                events.append(
                    HealthEvent(
                        "disabled",
                        endpoint_id,
                        row.tenant_id,
                        row.url,
                        row.failure_count,
                        row.failing_since,
                        reason,
                    )
                )
    return events, limits


_LIMITS_FOR_UPDATE = (
    select(t.c.id, t.c.max_in_flight, t.c.concurrency_limit)
    .where(t.c.id.in_(bindparam("b_ids", expanding=True)))
    .with_for_update()
)
_SET_LIMIT = (
    update(t)
    .where(t.c.id == bindparam("b_id"))
    .values(concurrency_limit=bindparam("b_limit", type_=Float))
)


async def _fold_overloads(
    conn: AsyncConnection, folded: Mapping[str, _Folded], default_cap: int
) -> dict[str, float | None]:
    """The shared limit of the endpoints with an overload in this batch: read under the
    row's lock, folded in order (`domain.flow.fold`), written back; other workers fold
    theirs after, into what this one wrote."""
    ids = sorted(ep for ep, acc in folded.items() if acc.signals is not None)
    if not ids:
        return {}
    rows = (await conn.execute(_LIMITS_FOR_UPDATE, {"b_ids": ids})).all()
    limits: dict[str, float | None] = {}
    for r in rows:
        signals = folded[r.id].signals or []
        limits[r.id] = fold(r.concurrency_limit, r.max_in_flight or default_cap, signals)
    if limits:
        await conn.execute(_SET_LIMIT, [{"b_id": ep, "b_limit": v} for ep, v in limits.items()])
    return limits


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{span.total_seconds():g} seconds"


async def reset_failing_since(conn: AsyncConnection, endpoint_id: str) -> None:
    await conn.execute(update(t).where(t.c.id == endpoint_id).values(failing_since=None))


async def disable(conn: AsyncConnection, endpoint_id: str, *, reason: str) -> bool:
    """Disable an enabled endpoint; False when it already was disabled."""
    result = await conn.execute(
        update(t)
        .where(t.c.id == endpoint_id, t.c.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=db_now())
    )
    return bool(result.rowcount)


def _reserve_slot(dialect: str) -> Any:
    table = rate_slots
    now = db_epoch()
    step = bindparam("b_step", type_=Float)
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert_fn(table)
        .values(endpoint_id=bindparam("b_id"), next_slot=now + step)
        .on_conflict_do_update(
            index_elements=[table.c.endpoint_id],
            set_={
                "next_slot": case((table.c.next_slot < now, now), else_=table.c.next_slot) + step
            },
        )
        .returning((table.c.next_slot - step - now).label("wait"))
    )


_RESERVE = {d: _reserve_slot(d) for d in ("postgresql", "sqlite")}


async def reserve_rate_slot(conn: AsyncConnection, endpoint_id: str, *, step: float) -> float:
    """Reserve the start of the endpoint's next attempt; the seconds from now until it.

    Why this holds across workers: the upsert moves `next_slot` on by `step` in one
    statement, under the row's lock (PostgreSQL) or the write lock (SQLite), so every
    caller gets its own slot and slots are at least 1/rate apart, whichever worker
    asks; and `next_slot` is the database's clock (Unix seconds), so two workers whose
    clocks disagree still space their starts by it. The caller sleeps the returned
    seconds by its own clock, which only measures that duration. A slot reserved by a
    worker that then dies is simply not used.
    """
    dialect = "postgresql" if conn.dialect.name == "postgresql" else "sqlite"
    wait = (
        await conn.execute(_RESERVE[dialect], {"b_id": endpoint_id, "b_step": step})
    ).scalar_one()
    return float(wait)
