"""Claim floors: where the next claim may start walking the due queue.

A claim walks the due queue from its head, in due order, past every delivery it may
not take (a skipped endpoint's, a FIFO successor's): whatever was due before the last
delivery it took was taken or passed over. While claims come back full (a backlog),
the next one may therefore start there — the floor — instead of walking past all of
them again (`queue.claim_due`). A floor holds while everything passed over below it
still may not be taken (those endpoints are still skipped), and for at most
FLOOR_SECONDS: anything a floor missed (a lease run out, another worker's FIFO result,
a rolled-back claim) waits no longer than that.

A plain object; its clock is a function (monotonic seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hookline.store.queue import Claimed

# Each floor stays this far behind the claim's now (the database's clock), so that
# deliveries written meanwhile with a slightly older time are still ahead of it.
FLOOR_SLACK = timedelta(seconds=1)
FLOOR_SECONDS = 1.0  # a run of claims from floors lasts at most this long


@dataclass(frozen=True, slots=True)
class Floor:
    at: datetime
    skip: frozenset[str]  # the endpoints passed over below it
    began: float  # (clock) when the claim that walked from the head ran


class Floors:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._floor: Floor | None = None
        self.ended = 0  # moves whenever floors end: compare before and after a claim

    def start(self, skip: list[str]) -> datetime | None:
        """Where a claim passing over `skip` may start (None: at the head)."""
        floor = self._floor
        if floor is None or self._clock() - floor.began > FLOOR_SECONDS:
            return None
        return floor.at if floor.skip.issubset(skip) else None

    def after(
        self,
        claimed: Sequence[Claimed],
        *,
        started_at: datetime | None,
        skip: list[str],
        found_all: bool,
    ) -> Floor | None:
        """The floor a claim leaves: only one that found as many as it asked for (one
        that did not took everything above its start: the next walks from the head).
        What it passed over, or gave back (back in its place, maybe below the floor),
        belongs to endpoints in `skip`."""
        if not found_all or not claimed:
            return None
        at = min(max(c.due_at for c in claimed), claimed[0].claimed_at - FLOOR_SLACK)
        if started_at is not None and self._floor is not None:  # the same run goes on
            return Floor(max(at, started_at), frozenset(skip), self._floor.began)
        return Floor(at, frozenset(skip), self._clock())

    def keep(self, floor: Floor | None, *, ended_before: int) -> None:
        """A claim committed: its floor is the next claim's, unless floors ended while it
        ran (a result written meanwhile, on PostgreSQL until it committed, may have
        unblocked what it passed over)."""
        self._floor = floor if ended_before == self.ended else None

    def end(self) -> None:
        """Something below the floor may be claimable now: walk from the head again."""
        self._floor = None
        self.ended += 1
