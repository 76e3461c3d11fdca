"""Back-pressure as arithmetic: additive increase, multiplicative decrease (AIMD).

An endpoint's concurrency starts at its cap. An answer that says "too much"
(429, 502, 503, 504, or a timeout) halves it, down to 1; each success adds 1/limit,
so a full window of successes adds one. The limit never exceeds the cap.
"""

from __future__ import annotations

from dataclasses import dataclass

OVERLOAD_STATUSES = frozenset({429, 502, 503, 504})


def is_overload(response_code: int | None, *, timed_out: bool = False) -> bool:
    return timed_out or response_code in OVERLOAD_STATUSES


@dataclass(slots=True)
class Aimd:
    cap: int
    limit: float = 0.0

    def __post_init__(self) -> None:
        if self.limit <= 0:
            self.limit = float(self.cap)

    @property
    def allowed(self) -> int:
        """Attempts that may be in flight now."""
        return max(1, int(self.limit))

    def success(self) -> None:
        self.limit = min(float(self.cap), self.limit + 1.0 / self.limit)

    def overload(self) -> None:
        self.limit = max(1.0, self.limit / 2.0)

    def resize(self, cap: int) -> None:
        """The endpoint's cap changed (its settings were edited); a raised cap is
        reached by successes, as after an overload."""
        self.cap = cap
        self.limit = min(self.limit, float(cap))


def fold(limit: float | None, cap: int, overloads: list[bool]) -> float | None:
    """The shared limit after a batch of answers in order (True: an overload, False: a
    success), from `limit` (None: at the cap). None again once it is back at the cap."""
    aimd = Aimd(cap, limit if limit is not None else float(cap))
    for overloaded in overloads:
        if overloaded:
            aimd.overload()
        else:
            aimd.success()
    return None if aimd.limit >= cap else aimd.limit


def grown(limit: float, successes: int) -> float:
    """About what `successes` successes in a row add to `limit` (each adds 1/limit);
    what SQL computes for a batch of nothing but successes."""
    return limit + successes / limit
