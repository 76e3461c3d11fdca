"""Rate limits across every worker: each attempt of an endpoint with a `rate_limit`
reserves its start slot in the database, and sleeps until it comes.

(The cap on attempts in flight is `store.slots` and `delivery.claim_plan`;
back-pressure's arithmetic is `domain.flow`.)
"""

from __future__ import annotations

import asyncio
import time

from hookline.store import endpoint_health
from hookline.store.database import Database

LATE_TOLERANCE = 0.005
MAX_ROUNDS = 100


async def wait_for_rate_slot(db: Database, endpoint_id: str, rate_limit: int) -> None:
    """Reserve this attempt's start (spaced 1/rate apart across all workers, by the
    database's clock) and sleep until it comes. Waking up late means the slot was missed
    (the process was busy): starting anyway would bunch this attempt with the next
    slot's, so a new slot is reserved instead. Starts therefore stay within
    LATE_TOLERANCE of their slots. The sleep is measured by this process's clock, which
    only times how long the database said to wait."""
    step = 1.0 / rate_limit
    for _ in range(MAX_ROUNDS):  # bounded: each round waits for a later slot
        async with db.write() as conn:
            wait = await endpoint_health.reserve_rate_slot(conn, endpoint_id, step=step)
        if wait <= 0:
            return
        began = time.monotonic()
        await asyncio.sleep(wait)
        if time.monotonic() - began - wait <= LATE_TOLERANCE:
            return
