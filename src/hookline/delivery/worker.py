"""The worker: claims due deliveries in leased batches, sends them under per-endpoint
and global caps, records results in batches, and stops gracefully.

Life of a delivery in here: claimed (lease held) → waiting for its endpoint's slot →
sending → result queued → result written (lease released by the write). Until the
write, the delivery stays in `_held` and its lease is renewed, so a crash anywhere
leaves it to expire and be claimed again: nothing is lost. A claim keeps no more of an
endpoint's deliveries than its share (its max_in_flight, or the lower limit its answers
have set) leaves room for; the surplus goes back to its place in the queue in the
claim's own transaction, instead of waiting here for that endpoint while taking room
from the rest. While claims come back full (a backlog), each starts at a floor where the
last one ended, instead of walking again past what it may not take: the deliveries of
endpoints at their share, FIFO successors whose head is pending (`_floor_for`).

Claims are made by the claim loop, and, on SQLite in `hookline serve`, also by the
transactions that publish (`claim_along`): those lease the new deliveries for this
worker before they commit, and the worker takes them over once they have. When a claim
found everything that was due (`_covered`), but for the deliveries of endpoints whose
share this worker already held (`_covered_skip`), and those shares are still full, a
wake-up has nothing to claim and the loop goes back to sleep without a transaction; and
a publish's claim-along looks only at the deliveries of the messages it wrote, instead
of walking past the full endpoints' backlog in the due queue again.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import secrets
import time
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline import telemetry, tracing
from hookline.delivery import retention
from hookline.delivery.attempt import AttemptResult, perform
from hookline.delivery.flow_control import EndpointLimiter, wait_for_rate_slot
from hookline.delivery.http_client import HttpSender
from hookline.delivery.recorder import HealthPolicy, Record, Recorder
from hookline.domain.clock import utcnow
from hookline.domain.encryption import Cipher
from hookline.domain.flow import is_overload
from hookline.domain.ids import new_id
from hookline.domain.models import (
    Attempt,
    AttemptStatus,
    DeliveryStatus,
    Endpoint,
    EndpointSecrets,
    Ordering,
)
from hookline.domain.outcome import decide
from hookline.domain.retry import RetryPolicy
from hookline.store import endpoints as endpoint_store
from hookline.store import messages as message_store
from hookline.store import queue
from hookline.store.database import Database, after_transaction
from hookline.store.queue import Claimed
from hookline.store.wakeup import Wakeup

log = logging.getLogger(__name__)

BODY_CACHE_SIZE = 2048
# A claim that starts at a floor (see `queue.claim_due`) trusts the walks before it.
# Each floor stays this far behind the clock, so that deliveries written meanwhile with
# a slightly older time are still ahead of it, and a run of claims from floors lasts
# at most FLOOR_SECONDS before one walks from the head again: anything a floor missed
# (a lease run out, another worker's FIFO result, a rolled-back claim) waits no longer.
FLOOR_SLACK = timedelta(seconds=1)
FLOOR_SECONDS = 1.0


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


@dataclass(frozen=True, slots=True)
class _Claim:
    """What one claim statement left this worker holding."""

    claimed: list[Claimed]  # kept: within each endpoint's share
    full: bool  # there may be more due: it found as many as it asked for, or started at a floor
    skip: list[str]  # endpoints whose share is full now (passed over, or given back)
    # When the newest delivery it took was created, if it found as many as it asked for:
    # everything due before then was taken or passed over (a floor for the next claim).
    newest: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Floor:
    """Where the claim loop's next claim may start walking the due queue."""

    at: datetime
    skip: frozenset[str]  # the endpoints passed over below it
    began: float  # (monotonic) when the claim that walked from the head ran


@dataclass(frozen=True, slots=True)
class _Loaded:
    endpoints: dict[str, Endpoint]
    secrets: dict[str, EndpointSecrets]
    bodies: dict[str, bytes]


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
        self._cipher = cipher
        self._wakeup = wakeup
        self._sender = sender
        self._cfg = config
        self._held: dict[str, Claimed] = {}
        self._per_endpoint: Counter[str] = Counter()
        self._caps: dict[str, int] = {}
        self._limiters: dict[str, EndpointLimiter] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._stopping = False
        # The last claim took everything that was due. Only trusted while every new due
        # delivery comes with a claim-along (SQLite, in this process); a wake-up from
        # another process (NOTIFY) always claims.
        self._covered = False
        self._covered_skip: list[str] = []  # endpoints that claim passed over, full
        self._retries: list[datetime] = []  # (heap) when retries scheduled here come due
        self._claimed_at = utcnow()
        self._claims_along = False
        self._fifo: set[str] = set()  # endpoints seen in FIFO order: a result unblocks the next
        self._floor: _Floor | None = None
        self._floors_ended = 0  # counts `_end_floors`: a claim running meanwhile leaves none
        self._attempts = 0
        self._recorder = Recorder(db, on_written=self._written, health=config.health)

    # -- lifecycle -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, then finish or release in-flight work."""
        await self._sender.start()
        await self._wakeup.start_listening()
        if self._cfg.claim_along and self._db.is_sqlite:
            self._wakeup.attach(self.claim_along)
            self._claims_along = True
        log.info(
            "worker started",
            extra={
                "concurrency": self._cfg.concurrency,
                "endpoint_max_in_flight": self._cfg.endpoint_max_in_flight,
                "lease_seconds": self._cfg.lease_seconds,
            },
        )
        recorder = asyncio.create_task(self._recorder.run(), name="hookline-recorder")
        renewer = asyncio.create_task(self._renew_forever(), name="hookline-lease-renewer")
        stopper = asyncio.create_task(self._poke_on(stop), name="hookline-stop-watch")
        housekeeping = (
            asyncio.create_task(
                retention.run_forever(
                    self._db,
                    days=self._cfg.retention_days,
                    interval=self._cfg.retention_interval,
                ),
                name="hookline-retention",
            )
            if self._cfg.retention_days is not None
            else None
        )
        try:
            await self._claim_loop(stop)
        finally:
            stopper.cancel()
            if housekeeping is not None:
                housekeeping.cancel()
            await self._shutdown(recorder, renewer)

    async def _poke_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wakeup.poke()

    async def _shutdown(self, recorder: asyncio.Task[None], renewer: asyncio.Task[None]) -> None:
        self._stopping = True
        self._wakeup.detach(self.claim_along)
        if self._tasks:
            log.info(
                "stopping: waiting up to %.0fs for %d attempts",
                self._cfg.shutdown_grace,
                len(self._tasks),
            )
            _, late = await asyncio.wait(self._tasks, timeout=self._cfg.shutdown_grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)
        self._recorder.close()
        try:
            await asyncio.wait_for(recorder, timeout=max(self._cfg.shutdown_grace, 5.0))
        except TimeoutError:
            log.error(
                "stopping: %d results could not be written; they will be retried",
                self._recorder.pending,
            )
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        await self._release_held()
        await self._wakeup.stop_listening()
        await self._sender.close()
        log.info("worker stopped", extra={"attempts": self._attempts})

    async def _release_held(self) -> None:
        """Give back what was claimed but not attempted, so another worker takes it now."""
        held = [(c.id, c.lease_token) for c in self._held.values()]
        if not held:
            return
        try:
            async with self._db.write() as conn:
                await queue.release(conn, held)
            log.info("stopping: released %d deliveries to the queue", len(held))
        except Exception as exc:  # their leases will run out instead
            log.warning("stopping: could not release %d deliveries (%s)", len(held), exc)
        self._held.clear()

    # -- claiming --------------------------------------------------------------------

    def _cap(self, endpoint_id: str) -> int:
        """How many of this endpoint's deliveries to hold: its current AIMD limit."""
        limiter = self._limiters.get(endpoint_id)
        if limiter is not None:
            return limiter.aimd.allowed
        return self._caps.get(endpoint_id, self._cfg.endpoint_max_in_flight)

    def _want(self) -> tuple[int, list[str]]:
        """How many deliveries to claim now, and the endpoints whose share is held."""
        room = self._cfg.concurrency - len(self._held)
        skip = [ep for ep, n in self._per_endpoint.items() if n >= self._cap(ep)]
        return max(0, min(room, self._cfg.batch_size)), skip

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        while not stop.is_set():
            try:
                claim = await self._claim()
                if claim is not None and claim.claimed:
                    await self._dispatch(claim.claimed)
                if claim is not None and claim.full:
                    await asyncio.sleep(0)
                    continue
                pause = await self._idle_pause() if claim else self._cfg.poll_interval
            except Exception as exc:
                log.warning("claiming failed (%s); retrying in %.1fs", exc, backoff)
                pause = backoff
                backoff = min(backoff * 2, 5.0)
            else:
                backoff = 0.1
            await self._sleep(pause, stop)

    async def _sleep(self, pause: float, stop: asyncio.Event) -> None:
        """Until `pause` is over, or a wake-up that may find something to claim: while
        the last claim took everything that was due, a wake-up (a result written, or a
        publish whose transaction already claimed its deliveries) finds nothing."""
        deadline = time.monotonic() + pause
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or not await self._wakeup.wait(left) or not self._nothing_due():
                return

    def _nothing_due(self) -> bool:
        """A claim now would find nothing: the last one took everything that was due but
        the deliveries of endpoints whose share was full, and those shares still are."""
        if not self._covered:
            return False
        if self._retries and self._retries[0] <= utcnow():  # one came due since
            return False
        return all(self._per_endpoint.get(ep, 0) >= self._cap(ep) for ep in self._covered_skip)

    async def _claim(self) -> _Claim | None:
        """One claim by the claim loop; None when there is no room for one."""
        if self._want()[0] == 0:  # no room: no transaction either
            self._covered = False
            return None
        async with self._db.write() as conn:
            want, skip = self._want()  # with the write lock held (SQLite): no claim-along between
            if want == 0:
                self._covered = False
                return None
            floor, ended = self._floor_for(skip), self._floors_ended
            claim = await self._claim_in(conn, want, skip, floor=floor)
            # A result written while it ran (PostgreSQL) may have unblocked what it passed
            # over: then it leaves no floor, and the next claim walks from the head.
            self._floor = self._next_floor(claim, floor) if ended == self._floors_ended else None
        self._hold(claim)
        return claim

    def _floor_for(self, skip: list[str]) -> datetime | None:
        """Where this claim may start: the last claim's floor, while everything it
        passed over below it still may not be taken (those endpoints' shares are still
        held) and the run of claims from floors is young enough."""
        floor = self._floor
        if floor is None or time.monotonic() - floor.began > FLOOR_SECONDS:
            return None
        return floor.at if floor.skip.issubset(skip) else None

    def _end_floors(self) -> None:
        """Something below the floor may be claimable now: walk from the head again."""
        self._floor = None
        self._floors_ended += 1

    def _next_floor(self, claim: _Claim, used: datetime | None) -> _Floor | None:
        """The floor this claim leaves. What it passed over, or gave back (back in its
        place, maybe below the floor), belongs to endpoints in `claim.skip`."""
        if claim.newest is None:  # it took everything above its start: walk from the head
            return None
        at = min(claim.newest, self._claimed_at - FLOOR_SLACK)
        if used is not None and self._floor is not None:  # the same run goes on
            return _Floor(max(at, used), frozenset(claim.skip), self._floor.began)
        return _Floor(at, frozenset(claim.skip), time.monotonic())

    async def _claim_in(
        self,
        conn: AsyncConnection,
        want: int,
        skip: list[str],
        among_messages: list[str] | None = None,
        floor: datetime | None = None,
    ) -> _Claim:
        """Claim up to `want` due deliveries under a fresh lease, in this transaction,
        and give back at once what went past an endpoint's share: held here, they would
        wait for that endpoint's slots while taking room from every other endpoint."""
        now = self._claimed_at = utcnow()
        claimed = await queue.claim_due(
            conn,
            now=now,
            lease_until=now + timedelta(seconds=self._cfg.lease_seconds),
            token=secrets.token_hex(16),
            limit=want,
            skip_endpoints=skip,
            among_messages=among_messages or (),
            floor=floor,
        )
        kept, extra = self._within_shares(claimed)
        if extra:
            await queue.release(conn, [(c.id, c.lease_token) for c in extra])
        full_now = list(dict.fromkeys(c.endpoint_id for c in extra))
        found_all = len(claimed) == want
        return _Claim(
            kept,
            full=found_all or floor is not None,
            skip=skip + full_now,
            newest=max(c.created_at for c in claimed) if found_all else None,
        )

    def _within_shares(self, claimed: list[Claimed]) -> tuple[list[Claimed], list[Claimed]]:
        """Split a claim into what fits each endpoint's share and what does not. An
        endpoint this worker has not loaded yet has no known share: all of it is kept
        (at most one claim's worth), and its share is known from then on."""
        room: dict[str, int | None] = {}
        kept: list[Claimed] = []
        extra: list[Claimed] = []
        for c in claimed:
            ep = c.endpoint_id
            if ep not in room:
                known = ep in self._caps or ep in self._limiters
                room[ep] = self._cap(ep) - self._per_endpoint.get(ep, 0) if known else None
            left = room[ep]
            if left is None:
                kept.append(c)
            elif left > 0:
                kept.append(c)
                room[ep] = left - 1
            else:
                extra.append(c)
        return kept, extra

    def _hold(self, claim: _Claim) -> None:
        for c in claim.claimed:
            self._held[c.id] = c
            self._per_endpoint[c.endpoint_id] += 1
        self._covered = not claim.full and self._claims_along
        self._covered_skip = claim.skip
        now = self._claimed_at  # retries due by then were there for the claim to take
        while self._retries and self._retries[0] <= now:
            heapq.heappop(self._retries)

    async def claim_along(self, conn: AsyncConnection, bodies: Mapping[str, bytes]) -> None:
        """Inside another write transaction (one that made deliveries due, on SQLite in
        this process; `bodies`: the messages it wrote, whose deliveries are all it made
        due, or nothing if it cannot say): claim for this worker; take the claims over if
        it commits. If it rolls back, so do the leases, and nothing was taken."""
        if self._stopping:
            return
        # Nothing else was due: only this transaction's deliveries can be.
        among = list(bodies) if bodies and self._nothing_due() else None
        want, skip = self._want()
        if want == 0:
            self._covered = False
            return
        try:
            claim = await self._claim_in(conn, want, skip, among)
        except Exception as exc:  # the publish goes on; the claim loop will find them
            log.warning("claiming along with a publish failed (%s)", exc)
            self._covered = False
            self._wakeup.poke()
            return
        if len(claim.skip) > len(skip):  # gave some back, maybe below the claim loop's floor
            self._end_floors()
        loaded: _Loaded | None = None
        if claim.claimed:
            try:  # in the same transaction: no read transaction of its own afterwards
                loaded = await self._load(conn, claim.claimed, bodies)
            except Exception as exc:  # the take-over reads them itself
                log.warning("loading what was claimed along failed (%s)", exc)

        def settled(committed: bool) -> None:
            if committed:
                self._take_over(claim, loaded)
            elif claim.claimed:  # its leases were rolled back with it: those are due again
                self._covered = False
                self._wakeup.poke()

        after_transaction(conn, settled)

    def _take_over(self, claim: _Claim, loaded: _Loaded | None) -> None:
        self._hold(claim)
        if claim.full:
            self._wakeup.poke()
        if not claim.claimed:
            return
        task = asyncio.create_task(self._dispatch_taken(claim.claimed, loaded))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch_taken(self, claimed: list[Claimed], loaded: _Loaded | None) -> None:
        try:
            if loaded is None:
                await self._dispatch(claimed)
            else:
                await self._start(claimed, loaded)
        except Exception as exc:  # abandoned: the leases run out and they are claimed again
            log.warning("dispatching %d claimed deliveries failed (%s)", len(claimed), exc)

    async def _idle_pause(self) -> float:
        async with self._db.read(short=True) as conn:
            due = await queue.next_due_at(conn)
        if due is None:
            return self._cfg.poll_interval
        wait = (due - utcnow()).total_seconds()
        if wait <= 0:  # due, but only for endpoints at their cap: wait for a slot
            return self._cfg.poll_interval
        return min(wait + 0.005, self._cfg.poll_interval)

    # -- sending ---------------------------------------------------------------------

    async def _dispatch(self, claimed: list[Claimed]) -> None:
        try:
            async with self._db.read(short=True) as conn:
                loaded = await self._load(conn, claimed, {})
        except Exception:
            self._abandon(claimed)
            raise
        await self._start(claimed, loaded)

    async def _load(
        self, conn: AsyncConnection, claimed: list[Claimed], known: Mapping[str, bytes]
    ) -> _Loaded:
        """What sending these needs: their endpoints, secrets and message bodies."""
        endpoint_ids = list({c.endpoint_id for c in claimed})
        bodies = {c.message_id: self._bodies.get(c.message_id) for c in claimed}
        bodies.update((m, known[m]) for m in bodies if m in known)
        missing = [m for m, body in bodies.items() if body is None]
        endpoints = await endpoint_store.get_endpoints_by_id(
            conn, endpoint_ids, cipher=self._cipher
        )
        secrets_by_ep = await endpoint_store.get_secrets_many(
            conn, endpoint_ids, cipher=self._cipher
        )
        bodies.update(await message_store.get_bodies(conn, missing))
        found = {m: body for m, body in bodies.items() if body is not None}
        return _Loaded(endpoints, secrets_by_ep, found)

    async def _start(self, claimed: list[Claimed], loaded: _Loaded) -> None:
        for message_id, raw in loaded.bodies.items():
            self._remember_body(message_id, raw)
        now = utcnow()
        gone: list[Claimed] = []
        disabled: list[Claimed] = []
        for c in claimed:
            ep = loaded.endpoints.get(c.endpoint_id)
            if ep is None:
                gone.append(c)
                continue
            if not ep.enabled:
                disabled.append(c)
                continue
            self._caps[ep.id] = ep.max_in_flight or self._cfg.endpoint_max_in_flight
            if ep.ordering is Ordering.FIFO:
                self._fifo.add(ep.id)
            else:
                self._fifo.discard(ep.id)
            body = loaded.bodies.get(c.message_id)
            if body is None:  # message removed meanwhile (tenant deleted)
                gone.append(c)
                continue
            secrets_of = loaded.secrets.get(ep.id)
            active = secrets_of.active(now) if secrets_of is not None else []
            task = asyncio.create_task(self._deliver(c, ep, active, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            await self._finish_unsent(gone, "endpoint deleted")
            await self._finish_unsent(disabled, "endpoint disabled")
        except Exception:
            self._abandon(gone + disabled)
            raise

    async def _finish_unsent(self, claimed: list[Claimed], reason: str) -> None:
        if not claimed:
            return
        async with self._db.write() as conn:
            await queue.finish_without_attempt(
                conn,
                [(c.id, c.lease_token) for c in claimed],
                status=DeliveryStatus.FAILED,
                reason=reason,
                now=utcnow(),
            )
        for c in claimed:
            self._forget(c)
        self._covered = False  # a FIFO successor of these may be due now

    def _remember_body(self, message_id: str, body: bytes) -> None:
        self._bodies[message_id] = body
        self._bodies.move_to_end(message_id)
        while len(self._bodies) > BODY_CACHE_SIZE:
            self._bodies.popitem(last=False)

    def _limiter(self, ep: Endpoint) -> EndpointLimiter:
        cap = self._caps[ep.id]
        limiter = self._limiters.get(ep.id)
        if limiter is None:
            limiter = self._limiters[ep.id] = EndpointLimiter(cap)
        else:
            limiter.resize(cap)
        return limiter

    async def _deliver(self, c: Claimed, ep: Endpoint, active: list[str], body: bytes) -> None:
        limiter = self._limiter(ep)
        await limiter.acquire()
        overloaded: bool | None = None
        try:
            if self._stopping:
                return  # not started: released at shutdown
            if ep.rate_limit:
                await wait_for_rate_slot(self._db, ep.id, ep.rate_limit)
                if self._stopping:
                    return
            sending = perform(
                self._sender,
                ep,
                secrets=active,
                message_id=c.message_id,
                event_type=c.event_type,
                body=body,
            )
            result = await (tracing.attempt(sending, c) if tracing.ENABLED else sending)
            if result.succeeded:
                overloaded = False
            elif is_overload(result.response_code, timed_out=result.timed_out):
                overloaded = True
        finally:
            limiter.release(overloaded=overloaded)
        self._attempts += 1
        telemetry.record_attempt(
            succeeded=result.succeeded, code=result.response_code, seconds=result.duration_ms / 1000
        )
        if result.succeeded:
            telemetry.DELIVERY_LATENCY.observe((utcnow() - c.created_at).total_seconds())
        self._recorder.put(self._record(c, ep, result))

    def _record(self, c: Claimed, ep: Endpoint, result: AttemptResult) -> Record:
        number = c.attempt_count + 1
        policy = (
            RetryPolicy(ep.retry_schedule) if ep.retry_schedule is not None else self._cfg.retry
        )
        decision = decide(
            succeeded=result.succeeded,
            response_code=result.response_code,
            refused=result.refused,
            retry_after=result.retry_after,
            attempt_number=number,
            policy=policy,
            now=utcnow(),
        )
        attempt = Attempt(
            id=new_id("att"),
            delivery_id=c.id,
            endpoint_id=c.endpoint_id,
            message_id=c.message_id,
            tenant_id=c.tenant_id,
            event_type=c.event_type,
            attempt_number=number,
            url=ep.url,
            started_at=result.started_at,
            duration_ms=result.duration_ms,
            response_code=result.response_code,
            response_body=result.response_body,
            error_message=result.error_message,
            status=AttemptStatus.SUCCEEDED if result.succeeded else AttemptStatus.FAILED,
            request_headers=result.request_headers,
        )
        outcome = queue.Outcome(
            delivery_id=c.id,
            lease_token=c.lease_token,
            status=decision.status,
            next_attempt_at=decision.next_attempt_at,
            attempted_at=result.started_at,
            response_code=result.response_code,
            failure_reason=None if result.succeeded else (decision.reason or result.error_message),
        )
        return Record(attempt, outcome, decision.disable_endpoint)

    # -- bookkeeping -----------------------------------------------------------------

    def _abandon(self, claims: list[Claimed]) -> None:
        """Stop holding claims this worker could not act on (the database went away):
        their leases are no longer renewed, run out, and the deliveries are claimed
        again, by this worker or another."""
        for c in claims:
            self._forget(c)

    def _forget(self, c: Claimed) -> None:
        if self._held.pop(c.id, None) is not None:
            self._per_endpoint[c.endpoint_id] -= 1
            if self._per_endpoint[c.endpoint_id] <= 0:
                del self._per_endpoint[c.endpoint_id]

    def _written(self, batch: list[Record]) -> None:
        for r in batch:
            held = self._held.get(r.outcome.delivery_id)
            if held is not None and held.lease_token == r.outcome.lease_token:
                self._forget(held)
            # A retry may be due already; a FIFO head's result makes its successor due
            # (a successor the last claims passed over, below their floor).
            if r.attempt.endpoint_id in self._fifo:
                self._end_floors()
            if r.outcome.status is DeliveryStatus.PENDING or r.attempt.endpoint_id in self._fifo:
                self._covered = False
            if r.outcome.status is DeliveryStatus.PENDING and r.outcome.next_attempt_at:
                heapq.heappush(self._retries, r.outcome.next_attempt_at)
        self._wakeup.poke()  # room to claim more

    async def _renew_forever(self) -> None:
        period = max(self._cfg.lease_seconds / 3, 0.5)
        while True:
            await asyncio.sleep(period)
            tokens = list({c.lease_token for c in self._held.values()})
            if not tokens:
                continue
            try:
                async with self._db.write() as conn:
                    await queue.renew_leases(
                        conn,
                        tokens=tokens,
                        until=utcnow() + timedelta(seconds=self._cfg.lease_seconds),
                    )
            except Exception as exc:
                log.warning("could not renew leases (%s)", exc)
