"""Claiming: the claim loop, and the claims publishes make along for this worker.

One claim, inside a write transaction (`claim_in`): lease due deliveries, take the
slots of their endpoints, give back in place what the shares have no room for, and let
go of the slots of endpoints that have been idle; nothing of it counts before the
transaction commits (`commit`). The claim loop makes them in transactions of its own;
on SQLite in `hookline serve`, the transactions that publish make them too
(`Claimer.claim_along`), and the worker takes them over once those have committed.
What to ask for and what to keep is the planner's (`claim_plan`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.delivery.claim_plan import ClaimPlanner, ClaimRequest, Settled
from hookline.delivery.dispatch import Dispatcher, Loaded
from hookline.delivery.leases import Leases
from hookline.store import queue
from hookline.store.database import Database, after_transaction
from hookline.store.wakeup import Wakeup

log = logging.getLogger(__name__)

HOLD_IDLE_SECONDS = 1.0  # slots of an endpoint with nothing held here are let go after this


@dataclass(frozen=True, slots=True)
class Claim:
    settled: Settled
    began: float  # (monotonic) when the claim started: its leases run from about then
    let_go: list[str]  # endpoints whose idle slots it gave back


async def claim_in(
    conn: AsyncConnection,
    *,
    planner: ClaimPlanner,
    leases: Leases,
    request: ClaimRequest,
    lease_seconds: float,
    among_messages: list[str] | None = None,
) -> Claim:
    began = time.monotonic()
    floors = planner.floors_ended()
    claimed = await queue.claim_due(
        conn,
        lease_seconds=lease_seconds,
        token=secrets.token_hex(16),
        limit=request.limit,
        skip_endpoints=request.skip,
        among_messages=among_messages or (),
        floor=request.floor,
    )
    wants = planner.wants(claimed)
    grants = await leases.take(conn, wants) if wants else {}
    settled = planner.settle(
        claimed,
        grants,
        request,
        floors_ended=floors,
        wanted=wants,
    )
    if settled.give_back:
        await queue.release(conn, [(c.id, c.lease_token) for c in settled.give_back])
    claiming = {c.endpoint_id for c in claimed}
    idle = [ep for ep in planner.idle(HOLD_IDLE_SECONDS) if ep not in claiming]
    if idle:
        await leases.let_go(conn, idle)
    return Claim(settled, began, idle)


def commit(claim: Claim, *, planner: ClaimPlanner, leases: Leases, along: bool) -> None:
    """The claim's transaction committed: hold what it kept and the slots it took."""
    planner.commit(claim.settled, along=along)
    leases.hold(claim.settled.keep, claim_began=claim.began)
    planner.lost(claim.let_go)


class Claimer:
    def __init__(
        self,
        *,
        db: Database,
        wakeup: Wakeup,
        planner: ClaimPlanner,
        leases: Leases,
        dispatcher: Dispatcher,
        lease_seconds: float,
        poll_interval: float,
    ) -> None:
        self._db = db
        self._wakeup = wakeup
        self._planner = planner
        self._leases = leases
        self._dispatcher = dispatcher
        self._lease_seconds = lease_seconds
        self._poll_interval = poll_interval
        self.side: set[asyncio.Task[None]] = set()  # take-overs of claims made along
        self.stopping = False

    # -- the claim loop --------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """The claim loop: claim while there may be more due; else sleep until a wake-up
        that may find something, or until the next delivery comes due (at most the
        poll interval)."""
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
        if self._planner.request() is None:  # no room: no transaction either
            return False
        async with self._db.write() as conn:
            request = self._planner.request()  # under the write lock: no claim-along between
            if request is None:
                return False
            claim = await claim_in(
                conn,
                planner=self._planner,
                leases=self._leases,
                request=request,
                lease_seconds=self._lease_seconds,
            )
            loaded: Loaded | None = None
            if claim.settled.keep and self._db.is_sqlite:
                # With the write lock held these reads wait for nobody, on the loop's
                # thread: no read transaction of their own. (On PostgreSQL they come
                # after the commit, so that the claim's locks are held no longer.)
                loaded = await self._dispatcher.load(conn, claim.settled.keep, {})
        commit(claim, planner=self._planner, leases=self._leases, along=False)
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
            if left <= 0 or not await self._wakeup.wait(left) or not self._planner.nothing_due():
                return

    async def _idle_pause(self) -> float:
        async with self._db.read(short=True) as conn:
            wait = await queue.next_due_in(conn)
        if wait is None or wait <= 0:  # nothing, or due only for full endpoints: a poke
            return self._poll_interval
        return min(wait + 0.005, self._poll_interval)

    # -- claiming along with a publish -----------------------------------------------

    async def claim_along(self, conn: AsyncConnection, bodies: Mapping[str, bytes]) -> None:
        """Inside another write transaction (one that made deliveries due, on SQLite in
        this process; `bodies`: the messages it wrote, whose deliveries are all it made
        due, or nothing if it cannot say): claim for this worker; take the claims over if
        it commits. If it rolls back, so do the leases and slots, and nothing was taken."""
        if self.stopping:
            return
        # Nothing else was due: only this transaction's deliveries can be.
        among = list(bodies) if bodies and self._planner.nothing_due() else None
        request = self._planner.request(along=True)
        if request is None:
            return
        try:
            claim = await claim_in(
                conn,
                planner=self._planner,
                leases=self._leases,
                request=request,
                lease_seconds=self._lease_seconds,
                among_messages=among,
            )
        except Exception as exc:  # the publish goes on; the claim loop will find them
            log.warning("claiming along with a publish failed (%s)", exc)
            self._planner.rolled_back()
            self._wakeup.poke()
            return
        loaded: Loaded | None = None
        if claim.settled.keep:
            try:  # in the same transaction: no read transaction of its own afterwards
                loaded = await self._dispatcher.load(conn, claim.settled.keep, bodies)
            except Exception as exc:  # the take-over reads them itself
                log.warning("loading what was claimed along failed (%s)", exc)

        def settled(committed: bool) -> None:
            if not committed:  # its leases were rolled back with it: those are due again
                self._planner.rolled_back()
                self._wakeup.poke()
                return
            commit(claim, planner=self._planner, leases=self._leases, along=True)
            if claim.settled.full:
                self._wakeup.poke()
            if claim.settled.keep:
                self._spawn(self._take_over(claim.settled.keep, loaded))

        after_transaction(conn, settled)

    async def _take_over(self, kept: list[queue.Claimed], loaded: Loaded | None) -> None:
        if loaded is None:
            await self._dispatcher.load_and_accept(kept)
        else:
            await self._dispatcher.accept(kept, loaded)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self.side.add(task)
        task.add_done_callback(self._side_done)

    def _side_done(self, task: asyncio.Task[None]) -> None:
        self.side.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("taking over claimed deliveries failed (%r)", task.exception())
