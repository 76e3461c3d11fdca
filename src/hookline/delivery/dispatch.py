"""Dispatch: what the worker does with the deliveries it claimed — load what sending
needs, send each within its endpoint's usable slots, and hand each result to the
recorder.

Each endpoint has a lane of deliveries waiting here, sent by as many runners as its
share has usable slots (`shares.Share.usable`) and the worker has room for: when an
attempt ends, its runner starts the lane's next delivery at once (no trip to the
database, no new task); lanes held back by the worker's concurrency get their turn as
runners end.

Nothing stranded: every delivery taken in here ends in a result for the recorder (a
failed attempt when Hookline itself failed while preparing or sending it), in a
delivery made final without sending (endpoint deleted or disabled), or handed back to
the queue (when no attempt was made: a rate-limit slot could not be reserved, or the
worker is stopping).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline import telemetry, tracing
from hookline.delivery.attempt import AttemptResult, perform
from hookline.delivery.claim_plan import ClaimPlanner
from hookline.delivery.flow_control import wait_for_rate_slot
from hookline.delivery.http_client import HttpSender
from hookline.delivery.leases import Leases
from hookline.delivery.recorder import Recorder
from hookline.delivery.results import failed_before_sending, record_of
from hookline.domain.clock import utcnow
from hookline.domain.encryption import Cipher
from hookline.domain.flow import is_overload
from hookline.domain.models import DeliveryStatus, Endpoint, EndpointSecrets, Ordering
from hookline.domain.retry import RetryPolicy
from hookline.store import endpoints as endpoint_store
from hookline.store import messages as message_store
from hookline.store import queue
from hookline.store.database import Database
from hookline.store.endpoints import DeliveryEndpoint, Unreadable
from hookline.store.queue import Claimed

log = logging.getLogger(__name__)

BODY_CACHE_SIZE = 2048
HAND_BACK_DELAY = 1.0  # seconds before a delivery handed back after Hookline's own failure


@dataclass(frozen=True, slots=True)
class Loaded:
    """What sending a claim's deliveries needs, read in one go."""

    endpoints: dict[str, DeliveryEndpoint | Unreadable]
    bodies: dict[str, bytes]


@dataclass(frozen=True, slots=True)
class _Ready:
    claimed: Claimed
    body: bytes


@dataclass
class _Lane:
    endpoint: Endpoint
    secrets: EndpointSecrets
    waiting: deque[_Ready] = field(default_factory=deque)
    runners: int = 0  # tasks sending its deliveries, one after the other each
    starting: int = 0  # of them, those that have not taken their first delivery yet


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        cipher: Cipher,
        sender: HttpSender,
        planner: ClaimPlanner,
        leases: Leases,
        recorder: Recorder,
        retry: RetryPolicy,
        concurrency: int,
        default_cap: int,
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._sender = sender
        self._planner = planner
        self._leases = leases
        self._recorder = recorder
        self._retry = retry
        self._concurrency = concurrency
        self._default_cap = default_cap
        self._lanes: dict[str, _Lane] = {}
        self._blocked: OrderedDict[str, None] = OrderedDict()  # lanes held by concurrency
        self._running = 0
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping = False
        self.attempts = 0

    # -- loading ----------------------------------------------------------------------

    async def load(
        self, conn: AsyncConnection, claimed: Sequence[Claimed], known: Mapping[str, bytes]
    ) -> Loaded:
        """Their endpoints (secrets opened) and message bodies (`known`: bodies at hand)."""
        endpoint_ids = list({c.endpoint_id for c in claimed})
        bodies: dict[str, bytes] = {}
        missing: list[str] = []
        for c in claimed:
            body = known.get(c.message_id) or self._bodies.get(c.message_id)
            if body is not None:
                bodies[c.message_id] = body
            elif c.message_id not in bodies:
                missing.append(c.message_id)
        endpoints = await endpoint_store.for_delivery(conn, endpoint_ids, cipher=self._cipher)
        if missing:
            bodies.update(await message_store.get_bodies(conn, list(dict.fromkeys(missing))))
        return Loaded(endpoints, bodies)

    async def load_and_accept(self, claimed: Sequence[Claimed]) -> None:
        """For the claim loop: read in a transaction of its own, then `accept`. If the
        read fails (the database went away), they are handed back."""
        try:
            async with self._db.read(short=True) as conn:
                loaded = await self.load(conn, claimed, {})
        except Exception as exc:
            log.warning("loading %d claimed deliveries failed (%s)", len(claimed), exc)
            await self._give_back(claimed)
            raise
        await self.accept(claimed, loaded)

    # -- taking deliveries in -----------------------------------------------------------

    async def accept(self, claimed: Sequence[Claimed], loaded: Loaded) -> None:
        """Queue what can be sent on its endpoint's lane and start what may start;
        deliveries whose endpoint is gone or disabled are made final unsent, those whose
        endpoint cannot be read fail their attempt."""
        for message_id, raw in loaded.bodies.items():
            self._remember(message_id, raw)
        gone: list[Claimed] = []
        disabled: list[Claimed] = []
        touched: dict[str, None] = {}
        for c in claimed:
            found = loaded.endpoints.get(c.endpoint_id)
            body = loaded.bodies.get(c.message_id)
            if found is None or body is None:  # deleted meanwhile (or its tenant was)
                gone.append(c)
            elif isinstance(found, Unreadable):
                self._planner.dropped(c.endpoint_id)
                self._recorder.put(failed_before_sending(c, str(found), self._retry))
            elif not found.endpoint.enabled:
                disabled.append(c)
            else:
                lane = self._lane(found)
                lane.waiting.append(_Ready(c, body))
                touched[c.endpoint_id] = None
        for endpoint_id in touched:
            self._pump(endpoint_id)
        await self._finish_unsent(gone, "endpoint deleted")
        await self._finish_unsent(disabled, "endpoint disabled")

    def _lane(self, found: DeliveryEndpoint) -> _Lane:
        ep = found.endpoint
        self._planner.loaded(
            ep.id, cap=ep.max_in_flight or self._default_cap, limit=found.concurrency_limit
        )
        lane = self._lanes.get(ep.id)
        if lane is None:
            lane = self._lanes[ep.id] = _Lane(ep, found.secrets)
        else:  # the settings as they are now
            lane.endpoint, lane.secrets = ep, found.secrets
        return lane

    async def _finish_unsent(self, claimed: list[Claimed], reason: str) -> None:
        if not claimed:
            return
        for c in claimed:
            self._planner.dropped(c.endpoint_id)
        try:
            async with self._db.write() as conn:
                await queue.finish_without_attempt(
                    conn,
                    [(c.id, c.lease_token) for c in claimed],
                    status=DeliveryStatus.FAILED,
                    reason=reason,
                )
        except Exception as exc:  # their leases run out and a claim settles them again
            log.warning("could not finish %d unsent deliveries (%s)", len(claimed), exc)
        for c in claimed:
            self._leases.forget(c.id, c.lease_token)
        self._planner.covered = False  # a FIFO successor of these may be due now

    async def _give_back(self, claimed: Sequence[Claimed], *, delay: float | None = None) -> None:
        for c in claimed:
            self._planner.dropped(c.endpoint_id)
        await self._leases.hand_back(claimed, delay=delay)

    # -- sending ----------------------------------------------------------------------

    def _pump(self, endpoint_id: str) -> None:
        """Start runners for the lane while its share has usable slots and the worker
        has room; a lane the worker's concurrency holds back waits for its turn."""
        lane = self._lanes.get(endpoint_id)
        if lane is None or self.stopping or not self._leases.valid():
            return
        share = self._planner.share(endpoint_id)
        while len(lane.waiting) > lane.starting and lane.runners < share.usable:
            if self._running >= self._concurrency:
                self._blocked.pop(endpoint_id, None)
                self._blocked[endpoint_id] = None  # at the back of the turn
                return
            self._start_runner(lane)

    def _start_runner(self, lane: _Lane) -> None:
        lane.runners += 1
        lane.starting += 1
        self._running += 1
        task = asyncio.create_task(self._run(lane))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _pump_blocked(self) -> None:
        """Each lane held back gets a runner in turn while the worker has room."""
        while self._blocked and self._running < self._concurrency:
            endpoint_id, _ = self._blocked.popitem(last=False)
            lane = self._lanes.get(endpoint_id)
            share = self._planner.share(endpoint_id)
            if (
                lane is not None
                and len(lane.waiting) > lane.starting
                and (lane.runners < share.usable)
            ):
                self._start_runner(lane)
                self._pump(endpoint_id)  # more of it, or back in the turn

    async def _run(self, lane: _Lane) -> None:
        """One of the lane's runners (one per usable slot in use): it sends the lane's
        waiting deliveries one after the other, the next the moment the last ended, with
        no task of its own for each. It stops when the lane has none waiting, when the
        share has fewer usable slots than runners (the limit came down), when another
        lane waits for the worker's room (that lane has its turn), or while what this
        worker holds may no longer be its own (`Leases.valid`)."""
        endpoint_id = lane.endpoint.id
        share = self._planner.share(endpoint_id)
        first = True
        try:
            while lane.waiting and not self.stopping and lane.runners <= share.usable:
                if not self._leases.valid():
                    return  # the renewer abandons what is held; nothing starts meanwhile
                ready = lane.waiting.popleft()
                if first:
                    lane.starting -= 1
                    first = False
                self._planner.started(endpoint_id)
                await self._attempt(lane.endpoint, lane.secrets, ready)
                if self._blocked:
                    return
        finally:
            if first:  # ended before taking any
                lane.starting -= 1
            lane.runners -= 1
            self._running -= 1
            self._pump_blocked()
            self._pump(endpoint_id)

    async def _attempt(self, ep: Endpoint, secrets: EndpointSecrets, ready: _Ready) -> None:
        """One delivery, started (`planner.started`): its rate-limit slot, the attempt,
        and its result to the recorder; whatever fails on the way ends in a failed
        attempt or the delivery handed back."""
        c = ready.claimed
        overloaded: bool | None = None
        began = time.monotonic()
        try:
            if ep.rate_limit and not await self._rate_slot(ep, c):
                return
            if self.stopping:
                await self._leases.hand_back([c])
                return
            result = await self._send(ep, secrets, ready)
            overloaded = overload_of(result)
            self._count(result, c)
            try:
                record = record_of(c, ep, result, retry=self._retry, overloaded=overloaded)
            except Exception:
                log.exception("could not make the result of delivery %s; handing it back", c.id)
                await self._leases.hand_back([c], delay=HAND_BACK_DELAY)
                return
            self._recorder.put(record)
        finally:
            self._planner.finished(
                c.endpoint_id, overloaded=overloaded, seconds=time.monotonic() - began
            )

    async def _rate_slot(self, ep: Endpoint, c: Claimed) -> bool:
        """Wait for this attempt's rate-limit slot; False when it was handed back."""
        assert ep.rate_limit
        try:
            await wait_for_rate_slot(self._db, ep.id, ep.rate_limit)
        except Exception as exc:
            log.warning("reserving a rate-limit slot for %s failed (%s); handed back", ep.id, exc)
            await self._leases.hand_back([c], delay=HAND_BACK_DELAY)
            return False
        return True

    async def _send(self, ep: Endpoint, secrets: EndpointSecrets, ready: _Ready) -> AttemptResult:
        """The attempt; Hookline's own failure in it is a failed attempt, not lost."""
        c = ready.claimed
        try:
            sending = perform(
                self._sender,
                ep,
                secrets=secrets.active(utcnow()),
                message_id=c.message_id,
                event_type=c.event_type,
                body=ready.body,
            )
            return await (tracing.attempt(sending, c) if tracing.ENABLED else sending)
        except Exception as exc:
            log.exception("attempt of delivery %s failed inside Hookline", c.id)
            return AttemptResult(
                started_at=utcnow(),
                duration_ms=0,
                response_code=None,
                response_body=None,
                error_message=f"Hookline could not send it: {type(exc).__name__}: {exc}"[:1000],
                succeeded=False,
                refused=False,
                timed_out=False,
                retry_after=None,
                request_headers={},
            )

    def _count(self, result: AttemptResult, c: Claimed) -> None:
        self.attempts += 1
        telemetry.record_attempt(
            succeeded=result.succeeded, code=result.response_code, seconds=result.duration_ms / 1000
        )
        if result.succeeded:
            telemetry.DELIVERY_LATENCY.observe((utcnow() - c.created_at).total_seconds())

    # -- stopping ---------------------------------------------------------------------

    def unsent(self) -> list[Claimed]:
        """What waits on the lanes (at shutdown: to give back)."""
        return [r.claimed for lane in self._lanes.values() for r in lane.waiting]

    def clear(self) -> None:
        for lane in self._lanes.values():
            lane.waiting.clear()

    def fifo(self, endpoint_id: str) -> bool:
        lane = self._lanes.get(endpoint_id)
        return lane is not None and lane.endpoint.ordering is Ordering.FIFO

    def _remember(self, message_id: str, body: bytes) -> None:
        self._bodies[message_id] = body
        self._bodies.move_to_end(message_id)
        while len(self._bodies) > BODY_CACHE_SIZE:
            self._bodies.popitem(last=False)


def overload_of(result: AttemptResult) -> bool | None:
    """What the answer says to back-pressure: True shrink, False grow, None neither."""
    if result.succeeded:
        return False
    return True if is_overload(result.response_code, timed_out=result.timed_out) else None
