"""Claim planning: what the next claim should ask for, and what of its answer to keep.

A plain object, no database and no socket; its clock is a function (monotonic seconds)
so that tests move time by hand.

Shares (`shares`). A worker sends to an endpoint only within the slots it holds in the
database (`store.slots`), taken in the claim that brought the endpoint's deliveries,
and keeps no more of them than its share says; whatever a claim brought beyond that
goes back to its place in the queue in the claim's own transaction. An endpoint whose
share is full (enough of it held here, or the other workers hold the rest of its limit)
is passed over by the next claims.

Floors (`claim_floors`). While claims come back full (a backlog), each starts where the
last one ended instead of walking again past what it may not take.

Covered. When a claim found everything that was due but for the deliveries of full
endpoints, and those are still full, a wake-up has nothing to claim; trusted only while
every new due delivery comes with a claim-along (SQLite, in this process).

Nothing here changes before the claim's transaction has committed (`commit`): slots
taken in a transaction that rolled back are not held.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hookline.delivery.claim_floors import Floor, Floors
from hookline.delivery.shares import Share
from hookline.store.queue import Claimed
from hookline.store.slots import Grant

OTHERS_BACKOFF = 0.25  # seconds before asking again for slots the others held


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    limit: int
    skip: list[str]
    floor: datetime | None


@dataclass(frozen=True, slots=True)
class Settled:
    """What a claim keeps and gives back, and the slots it took, to `commit`."""

    keep: list[Claimed]
    give_back: list[Claimed]
    grants: dict[str, Grant]
    full: bool  # there may be more due: it found all it asked for, or started at a floor
    skip: list[str]  # endpoints whose share is full now (passed over, or given back)
    floor: Floor | None
    floors_ended: int  # `ClaimPlanner.floors_ended()` when the claim began
    wanted: dict[str, int]  # the slots it asked for


@dataclass
class ClaimPlanner:
    max_held: int  # deliveries this worker holds at most (waiting and sending)
    batch_size: int
    claims_along: bool = False  # publishes in this process claim for it (SQLite, serve)
    clock: Callable[[], float] = time.monotonic
    shares: dict[str, Share] = field(default_factory=dict)
    held: int = 0
    covered: bool = False
    _covered_skip: list[str] = field(default_factory=list)
    _retries: list[float] = field(default_factory=list)  # (heap, clock) retries coming due
    floors: Floors = field(init=False)

    def __post_init__(self) -> None:
        self.floors = Floors(self.clock)

    def share(self, endpoint_id: str) -> Share:
        found = self.shares.get(endpoint_id)
        if found is None:
            found = self.shares[endpoint_id] = Share(batch_size=self.batch_size)
        return found

    # -- before a claim ----------------------------------------------------------------

    def request(self, *, along: bool = False) -> ClaimRequest | None:
        """What to claim now (`along`: inside a publish, which starts at no floor);
        None when there is no room for anything."""
        room = self.max_held - self.held
        if room <= 0:
            self.covered = False
            return None
        now = self.clock()
        skip: list[str] = []
        open_room = 0
        for ep, s in self.shares.items():
            if s.full(now):
                skip.append(ep)
            elif s.limit is not None:
                open_room += max(0, s.could_take(now))
        floor = None if along else self.floors.start(skip)
        # As many as the shares not passed over have room for, and some for endpoints
        # not seen yet: what a claim brings beyond its shares' room goes back, and
        # taking and giving back costs as much as a claim of its own.
        wanted = open_room + max(1, self.batch_size // 10)
        return ClaimRequest(min(room, self.batch_size, wanted), skip, floor)

    def nothing_due(self) -> bool:
        """A claim now would find nothing: the last one took everything that was due
        but the deliveries of full endpoints, and those are still full."""
        if not self.covered:
            return False
        now = self.clock()
        if self._retries and self._retries[0] <= now:  # one came due since
            return False
        return all(self.share(ep).full(now) for ep in self._covered_skip)

    def floors_ended(self) -> int:
        """A count that moves whenever floors end (compare before and after a claim)."""
        return self.floors.ended

    # -- a claim's answer (inside its transaction) -------------------------------------

    def wants(self, claimed: Sequence[Claimed]) -> dict[str, int]:
        """The endpoints whose slots this claim must take (again), with how many it
        would use: new endpoints, endpoints that could use more than they hold, and
        endpoints holding more than their limit allows now."""
        new: dict[str, int] = {}
        for c in claimed:
            new[c.endpoint_id] = new.get(c.endpoint_id, 0) + 1
        wants: dict[str, int] = {}
        for ep, n in new.items():
            s = self.share(ep)
            need = s.held + n
            if s.limit is None:
                wants[ep] = need
                continue
            ceiling = s.ceiling()
            blocked = s.blocked_until > self.clock()
            if (s.slots < min(need, ceiling) and not blocked) or s.slots > ceiling:
                wants[ep] = min(need, ceiling)
        return wants

    def settle(
        self,
        claimed: Sequence[Claimed],
        grants: dict[str, Grant],
        request: ClaimRequest,
        *,
        floors_ended: int,
        wanted: dict[str, int] | None = None,
    ) -> Settled:
        """Split the claim into what the shares (with the slots just taken) have room
        for and what goes back, and work out the floor it leaves. Changes nothing."""
        room: dict[str, int] = {}
        for ep in {c.endpoint_id for c in claimed}:
            s = self.share(ep)
            g = grants.get(ep)
            if g is None:
                room[ep] = s.room()
            else:
                room[ep] = s.keep(min(g.held, g.limit)) - s.held
        keep: list[Claimed] = []
        give_back: list[Claimed] = []
        for c in claimed:
            if room[c.endpoint_id] > 0:
                keep.append(c)
                room[c.endpoint_id] -= 1
            else:
                give_back.append(c)
        found_all = len(claimed) == request.limit
        full_now = list(dict.fromkeys(c.endpoint_id for c in give_back))
        skip = request.skip + [ep for ep in full_now if ep not in request.skip]
        floor = self.floors.after(claimed, started_at=request.floor, skip=skip, found_all=found_all)
        full = found_all or request.floor is not None
        wanted = wanted or {}
        return Settled(keep, give_back, grants, full, skip, floor, floors_ended, wanted)

    # -- once the claim committed ------------------------------------------------------

    def commit(self, settled: Settled, *, along: bool = False) -> None:
        """The claim's transaction committed: its slots are held, what it kept waits
        here, and its floor is the next claim's."""
        now = self.clock()
        self.apply(settled.grants.values())
        for ep, g in settled.grants.items():
            if g.held + g.others >= g.limit and g.held < settled.wanted.get(ep, 0):
                self.share(ep).blocked_until = now + OTHERS_BACKOFF
        for c in settled.keep:
            s = self.share(c.endpoint_id)
            s.waiting += 1
            s.idle_since = None
        self.held += len(settled.keep)
        if settled.give_back and along:
            self.end_floors()  # given back in place, maybe below the claim loop's floor
        elif not along:
            self.floors.keep(settled.floor, ended_before=settled.floors_ended)
        self.covered = not settled.full and self.claims_along
        self._covered_skip = settled.skip
        while self._retries and self._retries[0] <= now:  # were there for it to take
            heapq.heappop(self._retries)

    def rolled_back(self) -> None:
        """A claim's transaction rolled back: its leases went with it; they are due."""
        self.covered = False

    def apply(self, grants: Iterable[Grant]) -> None:
        """Slots and limits as the database has them now (a claim's take, a renewal)."""
        for g in grants:
            s = self.share(g.endpoint_id)
            s.slots = g.held
            s.limit = float(g.limit)

    def lost(self, endpoint_ids: Iterable[str]) -> None:
        """These slots are no longer held (a renewal found their rows run out, or they
        were let go): nothing more is started for them until slots are taken again."""
        for ep in endpoint_ids:
            s = self.shares.get(ep)
            if s is None:
                continue
            s.slots = 0
            if s.held == 0:
                del self.shares[ep]

    def loaded(self, endpoint_id: str, *, cap: int, limit: float | None) -> None:
        """The endpoint as just read: its cap, and the shared limit (None: at the cap)."""
        s = self.share(endpoint_id)
        s.cap = cap
        s.limit = float(cap) if limit is None else min(float(cap), limit)

    # -- while sending -----------------------------------------------------------------

    def usable(self, endpoint_id: str) -> int:
        s = self.shares.get(endpoint_id)
        return 0 if s is None else s.usable

    def started(self, endpoint_id: str) -> None:
        s = self.share(endpoint_id)
        s.waiting -= 1
        s.running += 1

    def finished(self, endpoint_id: str, *, overloaded: bool | None, seconds: float) -> None:
        """An attempt ended after `seconds`. Back-pressure moves this worker's view of
        the limit at once (as `domain.flow` does); the recorder writes the shared one."""
        s = self.share(endpoint_id)
        s.running -= 1
        self.held -= 1
        s.answered(overloaded=overloaded, seconds=seconds)
        self._maybe_idle(s)

    def dropped(self, endpoint_id: str, n: int = 1) -> None:
        """Deliveries held here but not started are gone (given back, finished unsent)."""
        s = self.share(endpoint_id)
        s.waiting -= n
        self.held -= n
        self._maybe_idle(s)

    def _maybe_idle(self, s: Share) -> None:
        if s.held == 0:
            s.idle_since = self.clock()

    def idle(self, older_than: float) -> list[str]:
        """Endpoints holding slots with nothing held here for `older_than` seconds."""
        now = self.clock()
        return [
            ep
            for ep, s in self.shares.items()
            if s.slots and s.idle_since is not None and now - s.idle_since >= older_than
        ]

    # -- results -----------------------------------------------------------------------

    def written(self, endpoint_id: str, *, retry_in: float | None, fifo: bool) -> None:
        """A result is in the database: a retry comes due later; a FIFO head's result
        makes its successor due (one the last claims passed over, below their floor)."""
        if fifo:
            self.end_floors()
            self.covered = False
        if retry_in is not None:
            heapq.heappush(self._retries, self.clock() + retry_in)
            self.covered = False

    def limits(self, limits: dict[str, float | None]) -> None:
        """Shared limits the recorder wrote (None: back at the cap)."""
        for ep, limit in limits.items():
            s = self.shares.get(ep)
            if s is not None and s.cap is not None:
                s.limit = float(s.cap) if limit is None else min(float(s.cap), limit)

    def end_floors(self) -> None:
        """Something below the floor may be claimable now: walk from the head again."""
        self.floors.end()
