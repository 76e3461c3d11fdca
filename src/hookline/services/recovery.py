"""Recover: send again every failed or expired delivery of one endpoint in a window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hookline.domain.clock import ensure_utc, utcnow
from hookline.domain.errors import Conflict, ValidationReport
from hookline.domain.models import Principal
from hookline.services.access import Permission, require, resolve_endpoint
from hookline.services.context import Context
from hookline.store import deliveries as delivery_store
from hookline.store.clock import read_now

BATCH = 500


async def recover(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    since: datetime,
    until: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Make the deliveries pending again (same delivery, same webhook-id, one more
    attempt each); returns how many. `progress(done, total)` is called per batch."""
    require(principal, Permission.OPERATE)
    since = ensure_utc(since)
    until = ensure_utc(until) if until is not None else utcnow()
    report = ValidationReport()
    if since >= until:
        report.add("body.since", "must be before until", since.isoformat())
    report.raise_if_any()
    async with ctx.db.read() as conn:
        target = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        total = await delivery_store.count_recoverable(
            conn, endpoint_id=target.id, since=since, until=until
        )
    if not target.enabled:
        raise Conflict("The endpoint is disabled; enable it before recovering its deliveries.")
    async with ctx.db.read() as conn:
        started = await read_now(conn)  # the database's: it compares with what workers wrote
    done = 0
    while done < total + BATCH:  # bounded by the work counted above, plus late arrivals
        async with ctx.db.write() as conn:
            n = await delivery_store.recover_batch(
                conn,
                endpoint_id=target.id,
                since=since,
                until=until,
                untouched_since=started,
                limit=BATCH,
            )
            if n:
                await ctx.wakeup.announce(conn)
        if not n:
            break
        done += n
        ctx.wakeup.poke()
        if progress is not None:
            progress(done, max(total, done))
    return done
