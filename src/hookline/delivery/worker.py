"""The worker: its parts wired together, its lifecycle, and the watch over its
background tasks.

Life of a delivery in here: claimed (`claims`, under a lease, within its endpoint's
slots) → waiting on its endpoint's lane → sending (`dispatch`) → result queued → result
written (`recorder`; the lease ends with the write). Until the write the lease is
renewed (`leases`), so a crash anywhere leaves it to run out and the delivery to be
claimed again: nothing is lost. What to claim, and what of a claim to keep, is the
planner's (`claim_plan`).

Supervised: the claim loop, the recorder, the lease renewer, the retention job and the
wake-up listener run as tasks; if one of them ends while the worker is not stopping,
the worker stops, logs which and why, and `run` raises WorkerFailed, so that the
process exits non-zero and its supervisor restarts it (DESIGN §3, nothing stranded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from hookline.delivery import claims, retention
from hookline.delivery.claim_plan import ClaimPlanner
from hookline.delivery.dispatch import Dispatcher
from hookline.delivery.http_client import HttpSender
from hookline.delivery.leases import Leases
from hookline.delivery.recorder import HealthPolicy, Record, Recorder
from hookline.domain.encryption import Cipher
from hookline.domain.models import DeliveryStatus
from hookline.domain.retry import RetryPolicy
from hookline.store.database import Database
from hookline.store.wakeup import Wakeup

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    retry: RetryPolicy
    concurrency: int = 200
    endpoint_max_in_flight: int = 10
    batch_size: int = 100
    lease_seconds: float = 60.0
    poll_interval: float = 1.0
    shutdown_grace: float = 30.0
    health: HealthPolicy = field(default_factory=HealthPolicy)
    retention_days: float | None = 30.0  # None: this worker runs no retention job
    retention_interval: float = 3600.0
    # In the process that publishes (`hookline serve`): on SQLite, publishing
    # transactions claim for this worker (`Worker.claim_along`).
    claim_along: bool = False


class WorkerFailed(Exception):
    """A part of the worker stopped on its own; the worker stopped with it."""


class Worker:
    def __init__(
        self,
        *,
        db: Database,
        cipher: Cipher,
        wakeup: Wakeup,
        sender: HttpSender,
        config: WorkerConfig,
    ) -> None:
        self._db = db
        self._wakeup = wakeup
        self._sender = sender
        self._cfg = config
        self._claims_along = config.claim_along and db.is_sqlite
        self.planner = ClaimPlanner(
            max_held=2 * config.concurrency,
            batch_size=config.batch_size,
            claims_along=self._claims_along,
        )
        self.leases = Leases(
            db,
            self.planner,
            lease_seconds=config.lease_seconds,
            default_limit=config.endpoint_max_in_flight,
        )
        self._recorder = Recorder(
            db,
            on_written=self._written,
            on_unwritable=self._unwritable,
            health=config.health,
            default_cap=config.endpoint_max_in_flight,
        )
        self.dispatcher = Dispatcher(
            db=db,
            cipher=cipher,
            sender=sender,
            planner=self.planner,
            leases=self.leases,
            recorder=self._recorder,
            retry=config.retry,
            concurrency=config.concurrency,
            default_cap=config.endpoint_max_in_flight,
        )
        self._claimer = claims.Claimer(
            db=db,
            wakeup=wakeup,
            planner=self.planner,
            leases=self.leases,
            dispatcher=self.dispatcher,
            lease_seconds=config.lease_seconds,
            poll_interval=config.poll_interval,
        )
        self.running = False  # between start and stop (readiness)

    # -- lifecycle -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, then finish or release in-flight work. Raises
        WorkerFailed when one of its tasks ended on its own."""
        await self._sender.start()
        if self._claims_along:
            self._wakeup.attach(self._claimer.claim_along)
        tasks = self._start_tasks(stop)
        log.info(
            "worker started",
            extra={
                "concurrency": self._cfg.concurrency,
                "endpoint_max_in_flight": self._cfg.endpoint_max_in_flight,
                "lease_seconds": self._cfg.lease_seconds,
            },
        )
        self.running = True
        stopped = asyncio.create_task(stop.wait(), name="hookline-stop-watch")
        failure: tuple[str, BaseException] | None = None
        try:
            await asyncio.wait([*tasks.values(), stopped], return_when=asyncio.FIRST_COMPLETED)
            if not stop.is_set():
                failure = _first_failure(tasks)
        finally:
            self.running = False
            stopped.cancel()
            if failure is not None:
                name, exc = failure
                log.critical("worker stopping: its %s stopped (%r)", name, exc)
            await self._shutdown(tasks)
        if failure is not None:
            name, exc = failure
            raise WorkerFailed(f"the worker's {name} stopped: {exc!r}") from exc

    def _start_tasks(self, stop: asyncio.Event) -> dict[str, asyncio.Task[None]]:
        jobs: dict[str, Coroutine[Any, Any, None]] = {
            "claim loop": self._claimer.run(stop),
            "recorder": self._recorder.run(),
            "lease renewer": self.leases.renew_forever(),
        }
        if self._cfg.retention_days is not None:
            jobs["retention job"] = retention.run_forever(
                self._db, days=self._cfg.retention_days, interval=self._cfg.retention_interval
            )
        if self._wakeup.listens:
            jobs["wake-up listener"] = self._wakeup.listen_forever()
        return {
            name: asyncio.create_task(job, name=f"hookline-{name.replace(' ', '-')}")
            for name, job in jobs.items()
        }

    async def _shutdown(self, tasks: dict[str, asyncio.Task[None]]) -> None:
        self._claimer.stopping = True
        self.dispatcher.stopping = True
        self._wakeup.detach(self._claimer.claim_along)
        for name in ("claim loop", "retention job", "wake-up listener"):
            await _cancel(tasks.get(name))
        if self._claimer.side:
            await asyncio.wait(self._claimer.side, timeout=5)
        unsent = self.dispatcher.unsent()
        self.dispatcher.clear()
        running = set(self.dispatcher.tasks)
        if running:
            log.info(
                "stopping: waiting up to %.0fs for %d attempts",
                self._cfg.shutdown_grace,
                len(running),
            )
            _, late = await asyncio.wait(running, timeout=self._cfg.shutdown_grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)
        recorder = tasks["recorder"]
        self._recorder.close()
        if not recorder.done():
            try:
                await asyncio.wait_for(recorder, timeout=max(self._cfg.shutdown_grace, 5.0))
            except TimeoutError:
                log.error(
                    "stopping: %d results could not be written; they will be retried",
                    self._recorder.pending,
                )
        await _cancel(tasks["lease renewer"])
        await self.leases.release_all(unsent)
        await self._sender.close()
        log.info("worker stopped", extra={"attempts": self.dispatcher.attempts})

    # -- results ---------------------------------------------------------------------

    def _written(self, batch: list[Record], limits: dict[str, float | None]) -> None:
        for r in batch:
            self.leases.forget(r.outcome.delivery_id, r.outcome.lease_token)
            pending = r.outcome.status is DeliveryStatus.PENDING
            self.planner.written(
                r.attempt.endpoint_id, retry_in=r.outcome.retry_in if pending else None, fifo=r.fifo
            )
        self.planner.limits(limits)
        self._wakeup.poke()  # room to claim more

    def _unwritable(self, batch: list[Record]) -> None:
        held = [
            c
            for r in batch
            if (c := self.leases.claimed(r.outcome.delivery_id, r.outcome.lease_token))
        ]
        task = asyncio.create_task(self.leases.hand_back(held, delay=1.0))
        self._claimer.side.add(task)
        task.add_done_callback(self._claimer.side.discard)


def _first_failure(tasks: dict[str, asyncio.Task[None]]) -> tuple[str, BaseException]:
    for name, task in tasks.items():
        if task.done():
            if task.cancelled():
                return name, asyncio.CancelledError(f"{name} was cancelled")
            exc = task.exception()
            return name, exc if exc is not None else RuntimeError(f"{name} returned")
    return "worker", RuntimeError("stopped for no known reason")


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
