"""Endpoint health in the database: consecutive failures, last times, the start of a
failing run, disabling; and the shared rate-limit slots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.schema import endpoints as t
from hookline.store.schema import rate_slots

_MARK_HEALTHY = (
    update(t)
    .where(t.c.id == bindparam("b_id"))
    .values(failure_count=0, failing_since=None, last_success_at=bindparam("b_at"))
)


@dataclass(frozen=True, slots=True)
class HealthChange:
    endpoint_id: str
    succeeded: bool
    at: datetime


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


async def record_health(
    conn: AsyncConnection,
    changes: Sequence[HealthChange],
    *,
    now: datetime,
    disable_after: timedelta | None = None,
    failing_after: int = 0,
) -> list[HealthEvent]:
    """Fold attempt outcomes into `failure_count` (consecutive failures), last times and
    `failing_since`; disable endpoints that have failed for `disable_after`.

    Outcomes are folded per endpoint first, so a batch costs one statement per endpoint.
    A batch that has no success adds to the stored count with a relative update, so two
    workers writing the same endpoint do not lose failures. Returns the endpoints that
    crossed `failing_after` consecutive failures and those disabled here.
    """
    folded: dict[str, dict[str, Any]] = {}
    for ch in sorted(changes, key=lambda c: c.at):
        acc = folded.setdefault(ch.endpoint_id, {"fails": 0, "reset": False})
        if ch.succeeded:
            acc.update(fails=0, reset=True, last_success_at=ch.at, first_fail=None)
        else:
            acc["fails"] += 1
            acc["last_failure_at"] = ch.at
            if acc.get("first_fail") is None:
                acc["first_fail"] = ch.at
    events: list[HealthEvent] = []
    # The common case, a batch of nothing but successes for an endpoint, needs no row
    # back: all such endpoints are written by one executemany statement.
    healthy = {
        endpoint_id: acc["last_success_at"]
        for endpoint_id, acc in folded.items()
        if acc["reset"] and not acc["fails"] and "last_failure_at" not in acc
    }
    if healthy:
        await conn.execute(_MARK_HEALTHY, [{"b_id": k, "b_at": v} for k, v in healthy.items()])
    for endpoint_id, acc in folded.items():
        if endpoint_id in healthy:
            continue
        values: dict[str, Any] = {
            k: acc[k] for k in ("last_success_at", "last_failure_at") if k in acc
        }
        if acc["reset"]:
            values["failure_count"] = acc["fails"]
            values["failing_since"] = acc.get("first_fail")
        else:
            values["failure_count"] = t.c.failure_count + acc["fails"]
            values["failing_since"] = func.coalesce(t.c.failing_since, acc["first_fail"])
        row = (
            await conn.execute(
                update(t)
                .where(t.c.id == endpoint_id)
                .values(**values)
                .returning(
                    t.c.tenant_id, t.c.url, t.c.failure_count, t.c.failing_since, t.c.enabled
                )
            )
        ).first()
        if row is None or not acc["fails"]:
            continue
        before = row.failure_count - acc["fails"]
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
        if (
            disable_after is not None
            and row.enabled
            and row.failing_since is not None
            and now - row.failing_since >= disable_after
        ):
            reason = f"every attempt failed for {_duration(disable_after)}"
            if await disable(conn, endpoint_id, reason=reason, now=now):
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
    return events


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{span.total_seconds():g} seconds"


async def reset_failing_since(conn: AsyncConnection, endpoint_id: str) -> None:
    await conn.execute(update(t).where(t.c.id == endpoint_id).values(failing_since=None))


async def disable(conn: AsyncConnection, endpoint_id: str, *, reason: str, now: datetime) -> bool:
    """Disable an enabled endpoint; False when it already was disabled."""
    result = await conn.execute(
        update(t)
        .where(t.c.id == endpoint_id, t.c.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=now)
    )
    return bool(result.rowcount)


async def reserve_rate_slot(
    conn: AsyncConnection, endpoint_id: str, *, now: float, step: float
) -> float:
    """The start time (epoch seconds) of the endpoint's next attempt, reserved.

    Why this holds across workers: the upsert moves `next_slot` on by `step` in one
    statement, under the row's lock (PostgreSQL) or the write lock (SQLite), so every
    caller gets its own slot and slots are at least 1/rate apart, whichever worker
    asks. A slot reserved by a worker that then dies is simply not used.
    """
    table = rate_slots
    insert_fn = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    upsert = (
        insert_fn(table)
        .values(endpoint_id=endpoint_id, next_slot=now + step)
        .on_conflict_do_update(
            index_elements=[table.c.endpoint_id],
            set_={
                "next_slot": case((table.c.next_slot < now, now), else_=table.c.next_slot) + step
            },
        )
        .returning(table.c.next_slot)
    )
    next_slot = float((await conn.execute(upsert)).scalar_one())
    return next_slot - step
