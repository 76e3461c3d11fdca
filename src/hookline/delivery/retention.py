"""The retention job: deletes history older than HOOKLINE_RETENTION_DAYS in small
batches, each its own short transaction, so it never holds long locks."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from hookline.store import retention as store
from hookline.store.database import Database

log = logging.getLogger(__name__)

BATCH = 500
MAX_BATCHES = 10_000  # a bound per run; the next run continues


@dataclass(frozen=True, slots=True)
class RetentionReport:
    deliveries: int
    messages: int


async def run_once(db: Database, *, days: float, batch: int = BATCH) -> RetentionReport:
    """One run: history older than `days` by the database's clock, in batches."""
    removed = {"deliveries": 0, "messages": 0}
    for kind, step in (
        ("deliveries", store.delete_final_deliveries),
        ("messages", store.delete_orphan_messages),
    ):
        for _ in range(MAX_BATCHES):
            async with db.write() as conn:
                if not await store.try_lock(conn):
                    log.info("retention: another worker is running it")
                    return RetentionReport(removed["deliveries"], removed["messages"])
                n = await step(conn, days=days, limit=batch)
            removed[kind] += n
            if n < batch:
                break
            await asyncio.sleep(0)  # let other work in between batches
    report = RetentionReport(removed["deliveries"], removed["messages"])
    if report.deliveries or report.messages:
        log.info(
            "retention: deleted history older than %g days",
            days,
            extra={"deliveries": report.deliveries, "messages": report.messages},
        )
    return report


async def run_forever(db: Database, *, days: float, interval: float) -> None:
    while True:
        try:
            await run_once(db, days=days)
        except Exception as exc:  # the database may be away; try at the next interval
            log.warning("retention run failed (%s)", exc)
        await asyncio.sleep(interval)
