"""The worker: its lifecycle, the claim loop, and the watch over its background tasks.

Life of a delivery in here: claimed (`claims`, under a lease, within its endpoint's
slots) → waiting on its endpoint's lane → sending (`dispatch`) → result queued → result
written (`recorder`; the lease ends with the write). Until the write the lease is
renewed (`leases`), so a crash anywhere leaves it to run out and the delivery to be
claimed again: nothing is lost. What to claim, and what of a claim to keep, is the
planner's (`claim_plan`).

Claims are made by the claim loop and, on SQLite in `hookline serve`, by the
transactions that publish (`claim_along`): those lease the new deliveries for this
worker before they commit, and the worker takes them over once they have.

Supervised: the claim loop, the recorder, the lease renewer, the retention job and the
wake-up listener run as tasks; if one of them ends while the worker is not stopping,
the worker stops, logs which and why, and `run` raises WorkerFailed, so that the
process exits non-zero and its supervisor restarts it (DESIGN §3, nothing stranded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.delivery import claims, retention
from hookline.delivery.claim_plan import ClaimPlanner
from hookline.delivery.dispatch import Dispatcher, Loaded
from hookline.delivery.http_client import HttpSender
from hookline.delivery.leases import Leases
from hookline.delivery.recorder import HealthPolicy, Record, Recorder
from hookline.domain.encryption import Cipher
from hookline.domain.models import DeliveryStatus
from hookline.domain.retry import RetryPolicy
from hookline.store import queue
from hookline.store.database import Database, after_transaction
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
        self._side: set[asyncio.Task[None]] = set()  # take-overs of claims made along
        self._stopping = False
        self.running = False  # between start and stop (readiness)

    # -- lifecycle -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, then finish or release in-flight work. Raises
        WorkerFailed when one of its tasks ended on its own."""
        await self._sender.start()
        if self._claims_along:
            self._wakeup.attach(self.claim_along)
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
            "claim loop": self._claim_loop(stop),
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
        self._stopping = True
        self.dispatcher.stopping = True
        self._wakeup.detach(self.claim_along)
        for name in ("claim loop", "retention job", "wake-up listener"):
            await _cancel(tasks.get(name))
        if self._side:
            await asyncio.wait(self._side, timeout=5)
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

    # -- the claim loop --------------------------------------------------------------

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        while not stop.is_set():
            try:
                if await self._claim():
                    await asyncio.sleep(0)
                    continue
                pause = await self._idle_pause()
            except Exception as exc:
                log.warning("claiming failed (%s); retrying in %.1fs", exc, backoff)
                pause = backoff
                backoff = min(backoff * 2, 5.0)
            else:
                backoff = 0.1
            await self._sleep(pause, stop)

    async def _claim(self) -> bool:
        """One claim in a transaction of its own; True when there may be more due."""
        if self.planner.request() is None:  # no room: no transaction either
            return False
        async with self._db.write() as conn:
            request = self.planner.request()  # under the write lock: no claim-along between
            if request is None:
                return False
            claim = await claims.claim_in(
                conn,
                planner=self.planner,
                leases=self.leases,
                request=request,
                lease_seconds=self._cfg.lease_seconds,
            )
            loaded: Loaded | None = None
            if claim.settled.keep and self._db.is_sqlite:
                # With the write lock held these reads wait for nobody, on the loop's
                # thread: no read transaction of their own. (On PostgreSQL they come
                # after the commit, so that the claim's locks are held no longer.)
                loaded = await self.dispatcher.load(conn, claim.settled.keep, {})
        claims.commit(claim, planner=self.planner, leases=self.leases, along=False)
        if claim.settled.keep:
            await self._take_over(claim.settled.keep, loaded)
        return claim.settled.full

    async def _sleep(self, pause: float, stop: asyncio.Event) -> None:
        """Until `pause` is over, or a wake-up that may find something to claim: while
        the last claim took everything that was due, a wake-up (a result written, or a
        publish whose transaction already claimed its deliveries) finds nothing."""
        deadline = time.monotonic() + pause
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or not await self._wakeup.wait(left) or not self.planner.nothing_due():
                return

    async def _idle_pause(self) -> float:
        async with self._db.read(short=True) as conn:
            wait = await queue.next_due_in(conn)
        if wait is None or wait <= 0:  # nothing, or due only for full endpoints: a poke
            return self._cfg.poll_interval
        return min(wait + 0.005, self._cfg.poll_interval)

    # -- claiming along with a publish -----------------------------------------------

    async def claim_along(self, conn: AsyncConnection, bodies: Mapping[str, bytes]) -> None:
        """Inside another write transaction (one that made deliveries due, on SQLite in
        this process; `bodies`: the messages it wrote, whose deliveries are all it made
        due, or nothing if it cannot say): claim for this worker; take the claims over if
        it commits. If it rolls back, so do the leases and slots, and nothing was taken."""
        if self._stopping:
            return
        # Nothing else was due: only this transaction's deliveries can be.
        among = list(bodies) if bodies and self.planner.nothing_due() else None
        request = self.planner.request(along=True)
        if request is None:
            return
        try:
            claim = await claims.claim_in(
                conn,
                planner=self.planner,
                leases=self.leases,
                request=request,
                lease_seconds=self._cfg.lease_seconds,
                among_messages=among,
            )
        except Exception as exc:  # the publish goes on; the claim loop will find them
            log.warning("claiming along with a publish failed (%s)", exc)
            self.planner.rolled_back()
            self._wakeup.poke()
            return
        loaded: Loaded | None = None
        if claim.settled.keep:
            try:  # in the same transaction: no read transaction of its own afterwards
                loaded = await self.dispatcher.load(conn, claim.settled.keep, bodies)
            except Exception as exc:  # the take-over reads them itself
                log.warning("loading what was claimed along failed (%s)", exc)

        def settled(committed: bool) -> None:
            if not committed:  # its leases were rolled back with it: those are due again
                self.planner.rolled_back()
                self._wakeup.poke()
                return
            claims.commit(claim, planner=self.planner, leases=self.leases, along=True)
            if claim.settled.full:
                self._wakeup.poke()
            if claim.settled.keep:
                self._spawn(self._take_over(claim.settled.keep, loaded))

        after_transaction(conn, settled)

    async def _take_over(self, kept: list[queue.Claimed], loaded: Loaded | None) -> None:
        if loaded is None:
            await self.dispatcher.load_and_accept(kept)
        else:
            await self.dispatcher.accept(kept, loaded)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._side.add(task)
        task.add_done_callback(self._side_done)

    def _side_done(self, task: asyncio.Task[None]) -> None:
        self._side.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("taking over claimed deliveries failed (%r)", task.exception())

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
        self._spawn(self.leases.hand_back(held, delay=1.0))


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
