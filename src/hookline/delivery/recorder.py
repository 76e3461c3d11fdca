"""Writes attempt results in batches: attempts, delivery states and endpoint health in
one transaction per batch.

A result is never dropped. When the database is away, the batch waits and is written
when it returns. When the database refuses a batch for another reason, its results are
written one by one, so that one bad record holds up no other; a record refused alone
is written again without what it brought from the receiver (body, headers), and if the
database refuses even that, its delivery is handed back to the queue (`on_unwritable`)
rather than left held. None of this ends the recorder: `run` only returns once closed
and empty.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.delivery import operational
from hookline.delivery.operational import OperationalSink
from hookline.domain.clock import utcnow
from hookline.domain.errors import StoreUnavailable
from hookline.domain.models import Attempt, AttemptStatus, DeliveryStatus
from hookline.store import attempts as attempt_store
from hookline.store import endpoint_health, queue
from hookline.store.database import Database

log = logging.getLogger(__name__)

MAX_BATCH = 500
MAX_BACKOFF = 5.0


@dataclass(frozen=True, slots=True)
class Record:
    attempt: Attempt
    outcome: queue.Outcome
    disable_endpoint: str | None
    overloaded: bool | None = None  # back-pressure: True shrinks the limit, False grows it
    fifo: bool = False  # its endpoint delivers in order: the result unblocks a successor


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    disable_after: timedelta | None = None  # HOOKLINE_DISABLE_AFTER
    failing_after: int = 0  # consecutive failures that make `endpoint.failing`
    # Where Hookline's own events go and how they are published (app.py fills it).
    operational: OperationalSink | None = None


Written = Callable[[list[Record], dict[str, float | None]], None]
Unwritable = Callable[[list[Record]], None]


class Recorder:
    def __init__(
        self,
        db: Database,
        *,
        on_written: Written,
        on_unwritable: Unwritable,
        health: HealthPolicy | None = None,
        default_cap: int = 10,
    ) -> None:
        self._db = db
        self._on_written = on_written
        self._on_unwritable = on_unwritable
        self._health = health or HealthPolicy()
        self._default_cap = default_cap
        self._queue: list[Record] = []
        self._ready = asyncio.Event()
        self._closing = False

    def put(self, record: Record) -> None:
        self._queue.append(record)
        self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        self._closing = True
        self._ready.set()

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
                limits = await self._write(batch)
            except StoreUnavailable as exc:  # keep the batch; write it when the store is back
                log.warning("could not record %d results (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            except Exception:
                # Not an outage: one record the database refuses must not hold up the
                # others (nor every later result), so write them one by one.
                log.exception("recording a batch of %d failed; writing one by one", len(batch))
                outage = await self._write_each(batch)
                if outage is not None:
                    log.warning("could not record results (%s); retrying", outage)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
                continue
            delay = 0.1
            del self._queue[: len(batch)]
            self._on_written(batch, limits)

    async def _write_each(self, batch: list[Record]) -> StoreUnavailable | None:
        """Write one by one, settling each as it goes; stops at an outage (returned),
        leaving the rest queued."""
        for record in batch:
            try:
                limits = await self._write_alone(record)
            except StoreUnavailable as exc:
                return exc
            self._queue.remove(record)
            if limits is None:
                self._on_unwritable([record])
            else:
                self._on_written([record], limits)
        return None

    async def _write_alone(self, record: Record) -> dict[str, float | None] | None:
        """One record; None when the database refuses it, even stripped."""
        try:
            return await self._write([record])
        except StoreUnavailable:
            raise
        except Exception as exc:
            first = exc
        log.error(
            "the result of attempt %s of delivery %s was refused (%s); storing it without "
            "the receiver's answer",
            record.attempt.attempt_number,
            record.attempt.delivery_id,
            first,
        )
        try:
            return await self._write([_stripped(record, first)])
        except StoreUnavailable:
            raise
        except Exception:
            log.exception(
                "could not store the result of delivery %s at all; handing it back",
                record.attempt.delivery_id,
            )
            return None

    async def _write(self, batch: list[Record]) -> dict[str, float | None]:
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
                    r.overloaded,
                )
                for r in batch
            ]
            await attempt_store.insert_attempts(conn, [r.attempt for r in batch])
            await queue.record_outcomes(conn, [r.outcome for r in batch])
            events, limits = await endpoint_health.record_health(
                conn,
                health,
                disable_after=self._health.disable_after,
                failing_after=self._health.failing_after if self._health.operational else 0,
                default_cap=self._default_cap,
            )
            for r in batch:
                if r.disable_endpoint and await endpoint_health.disable(
                    conn, r.attempt.endpoint_id, reason=r.disable_endpoint
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
                await self._operational(conn, batch, events)
        return limits

    async def _operational(
        self,
        conn: AsyncConnection,
        batch: list[Record],
        events: list[endpoint_health.HealthEvent],
    ) -> None:
        """Hookline's own events about these results, in the same transaction."""
        sink = self._health.operational
        assert sink is not None
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
        if not events and not expired:
            return
        reported = operational.events(sink.target, health=events, expired=expired, now=utcnow())
        if reported:
            await sink.publish(conn, sink.target, reported)


def _stripped(record: Record, error: Exception) -> Record:
    """The record with nothing the receiver sent and a note of why."""
    note = f"the attempt's details could not be stored ({type(error).__name__})"
    attempt = dataclasses.replace(
        record.attempt,
        response_body=None,
        response_headers=None,
        request_headers={},
        error_message=note if record.attempt.error_message is None else note[:200],
    )
    outcome = dataclasses.replace(
        record.outcome,
        failure_reason=None if record.outcome.failure_reason is None else note[:200],
    )
    return dataclasses.replace(record, attempt=attempt, outcome=outcome)
