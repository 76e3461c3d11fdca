"""Writes attempt results in batches: attempts, delivery states and endpoint health in
one transaction per batch. A result is never dropped: when the database is away the
batch waits and is written when it returns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from hookline.domain.clock import utcnow
from hookline.domain.models import Attempt
from hookline.store import attempts as attempt_store
from hookline.store import deliveries as delivery_store
from hookline.store import endpoints as endpoint_store
from hookline.store.database import Database

log = logging.getLogger(__name__)

MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class Record:
    attempt: Attempt
    outcome: delivery_store.Outcome
    disable_endpoint: str | None


class Recorder:
    def __init__(self, db: Database, *, on_written: Callable[[list[Record]], None]) -> None:
        self._db = db
        self._on_written = on_written
        self._queue: list[Record] = []
        self._ready = asyncio.Event()
        self._closing = False

    def put(self, record: Record) -> None:
        self._queue.append(record)
        self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def run(self) -> None:
        """Write until `close()` is called and everything queued is written."""
        delay = 0.1
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._ready.clear()
                await self._ready.wait()
                continue
            batch = self._queue[:MAX_BATCH]
            try:
                await self._write(batch)
            except Exception as exc:  # keep the batch; try again when the store is back
                log.warning("could not record %d results (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
            del self._queue[: len(batch)]
            self._on_written(batch)

    def close(self) -> None:
        self._closing = True
        self._ready.set()

    async def _write(self, batch: list[Record]) -> None:
        now = utcnow()
        health = [
            endpoint_store.HealthChange(
                r.attempt.endpoint_id,
                r.attempt.status.value == "succeeded",
                r.attempt.started_at,
            )
            for r in batch
        ]
        async with self._db.write() as conn:
            await attempt_store.insert_attempts(conn, [r.attempt for r in batch])
            await delivery_store.record_outcomes(conn, [r.outcome for r in batch], now=now)
            await endpoint_store.record_health(conn, health)
            for r in batch:
                if r.disable_endpoint:
                    await endpoint_store.disable(
                        conn, r.attempt.endpoint_id, reason=r.disable_endpoint, now=now
                    )
