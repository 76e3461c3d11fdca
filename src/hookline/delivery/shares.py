"""One worker's view of one endpoint: the slots it holds, the limit as it last knew
it, what it holds here of the endpoint's deliveries, and how quickly the endpoint
answers; and from those, how many deliveries to keep and whether a claim should pass
the endpoint over. Plain arithmetic, used by the claim planner (`claim_plan`).

Kept: one delivery per slot it may use and, for an endpoint whose attempts have
ended, as many as it would send in AHEAD_SECONDS at its pace (at most a claim's
worth). A freed slot then starts the endpoint's next delivery at once, without a trip
to the database, and a claim brings enough to be worth its transaction. For a slow
endpoint that is next to none: the trip is nothing beside its answer, and deliveries
waiting here for it would only be held from the other workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

AHEAD_SECONDS = 0.05  # deliveries kept waiting: what the endpoint's pace sends in this
_PACE_WEIGHT = 0.2  # how much one attempt's duration moves the average


@dataclass(slots=True)
class Share:
    """This worker's view of one endpoint."""

    batch_size: int = 100  # the most a claim brings (the planner's)
    slots: int = 0  # held in the database
    limit: float | None = None  # the endpoint's limit as last known (None: never taken)
    cap: int | None = None  # its max_in_flight (or the default), as last loaded
    waiting: int = 0  # held here, not started
    running: int = 0  # sending now
    # (clock) until then, take no more slots: the other workers hold the rest of the limit
    blocked_until: float = 0.0
    idle_since: float | None = None  # (clock) nothing held here since then
    seconds: float | None = None  # its attempts' average duration (None: none ended yet)

    @property
    def usable(self) -> int:
        """Attempts that may be in flight now: the slots held, within the limit."""
        if self.limit is None:
            return self.slots
        return min(self.slots, max(1, math.floor(self.limit)))

    @property
    def held(self) -> int:
        return self.waiting + self.running

    def room(self) -> int:
        """Deliveries a claim may still bring for it."""
        return self.keep(self.usable) - self.held

    def keep(self, usable: int) -> int:
        """How many to hold with `usable` slots: one per slot, and what that many send
        in AHEAD_SECONDS at the endpoint's pace, up to `batch_size` more."""
        if self.seconds is None or usable <= 0:
            return usable
        ahead = usable * AHEAD_SECONDS / max(self.seconds, 1e-4)
        return usable + min(self.batch_size, int(ahead))

    def full(self, now: float) -> bool:
        """Whether a claim should pass it over: it holds as much as it could use, with
        the slots it could take (all the limit allows, unless the others hold them)."""
        return self.limit is not None and self.could_take(now) <= 0

    def could_take(self, now: float) -> int:
        """Deliveries it could still keep, with the slots it could take (all the limit
        allows, unless the others hold them)."""
        assert self.limit is not None
        slots = self.slots if self.blocked_until > now else self.ceiling()
        return self.keep(min(slots, self.ceiling())) - self.held

    def ceiling(self) -> int:
        """The most slots this worker could hold: the limit (within the cap)."""
        assert self.limit is not None
        return max(1, math.floor(self.limit))

    def answered(self, *, overloaded: bool | None, seconds: float) -> None:
        """An attempt ended after `seconds`. Back-pressure moves this worker's view of
        the limit at once, as `domain.flow` does (halved by an overload, grown by
        1/limit by a success, never past the cap); the recorder writes the shared one."""
        if self.seconds is None:
            self.seconds = seconds
        else:
            self.seconds += _PACE_WEIGHT * (seconds - self.seconds)
        if self.limit is None or overloaded is None:
            return
        cap = float(self.cap) if self.cap is not None else self.limit
        if overloaded:
            self.limit = max(1.0, self.limit / 2)
        else:
            self.limit = min(cap, self.limit + 1 / self.limit)
