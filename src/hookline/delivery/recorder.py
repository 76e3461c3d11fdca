"""Writes attempt results in batches: attempts, delivery states and endpoint health in
one transaction per batch. A result is never dropped: when the database is away the
batch waits and is written when it returns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from hookline.delivery import operational
from hookline.domain.clock import utcnow
from hookline.domain.models import Attempt, AttemptStatus, DeliveryStatus
from hookline.domain.operational import OperationalTarget
from hookline.store import attempts as attempt_store
from hookline.store import deliveries as delivery_store
from hookline.store import endpoint_health, queue
from hookline.store import messages as message_store
from hookline.store.database import Database, StoreUnavailable

log = logging.getLogger(__name__)

MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class Record:
    attempt: Attempt
    outcome: queue.Outcome
    disable_endpoint: str | None


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    disable_after: timedelta | None = None  # HOOKLINE_DISABLE_AFTER
    failing_after: int = 0  # consecutive failures that make `endpoint.failing`
    operational: OperationalTarget | None = None  # where Hookline's own events go


class Recorder:
    def __init__(
        self,
        db: Database,
        *,
        on_written: Callable[[list[Record]], None],
        health: HealthPolicy | None = None,
    ) -> None:
        self._db = db
        self._on_written = on_written
        self._health = health or HealthPolicy()
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
            except StoreUnavailable as exc:  # keep the batch; write it when the store is back
                log.warning("could not record %d results (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            except Exception:
                # Not an outage: one record the database refuses must not hold up the
                # others (nor every later result), so write them one by one.
                log.exception("recording a batch of %d failed; writing one by one", len(batch))
                await self._write_each(batch)
            delay = 0.1
            del self._queue[: len(batch)]
            self._on_written(batch)

    def close(self) -> None:
        self._closing = True
        self._ready.set()

    async def _write_each(self, batch: list[Record]) -> None:
        for record in batch:
            try:
                await self._write([record])
            except StoreUnavailable:
                raise
            except Exception:
                log.exception(
                    "dropping the result of attempt %s of delivery %s",
                    record.attempt.attempt_number,
                    record.attempt.delivery_id,
                )

    async def _write(self, batch: list[Record]) -> None:
        now = utcnow()
        async with self._db.write() as conn:
            # A delivery may be gone (its tenant deleted while the attempt was in flight):
            # its result has nowhere to go.
            alive = await queue.existing_ids(conn, [r.attempt.delivery_id for r in batch])
            batch = [r for r in batch if r.attempt.delivery_id in alive]
            health = [
                endpoint_health.HealthChange(
                    r.attempt.endpoint_id,
                    r.attempt.status is AttemptStatus.SUCCEEDED,
                    r.attempt.started_at,
                )
                for r in batch
            ]
            await attempt_store.insert_attempts(conn, [r.attempt for r in batch])
            await queue.record_outcomes(conn, [r.outcome for r in batch], now=now)
            events = await endpoint_health.record_health(
                conn,
                health,
                now=now,
                disable_after=self._health.disable_after,
                failing_after=self._health.failing_after if self._health.operational else 0,
            )
            for r in batch:
                if r.disable_endpoint and await endpoint_health.disable(
                    conn, r.attempt.endpoint_id, reason=r.disable_endpoint, now=now
                ):
                    events.append(
                        endpoint_health.HealthEvent(
                            "disabled",
                            r.attempt.endpoint_id,
                            r.attempt.tenant_id,
                            r.attempt.url,
                            0,
                            None,
                            r.disable_endpoint,
                        )
                    )
            if self._health.operational is not None:
                expired = [
                    operational.Expired(
                        outcome=r.outcome,
                        tenant_id=r.attempt.tenant_id,
                        endpoint_id=r.attempt.endpoint_id,
                        message_id=r.attempt.message_id,
                        event_type=r.attempt.event_type,
                        attempts=r.attempt.attempt_number,
                    )
                    for r in batch
                    if r.outcome.status is DeliveryStatus.EXPIRED
                ]
                messages, deliveries = operational.build(
                    self._health.operational, health=events, expired=expired, now=now
                )
                await message_store.insert_messages(conn, messages)
                await delivery_store.insert_deliveries(conn, deliveries)
