"""The per-key API rate limit (DESIGN §4: 429 with Retry-After): a token bucket per API key.

Each key may spend `burst` requests at once and earns `rate` requests back per second.
Buckets live in this process's memory: with several API processes each allows the rate
on its own, which bounds a runaway client without a shared store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import State

from hookline.domain.errors import RateLimited

# Above this many buckets, full ones (keys idle long enough to have refilled) are dropped.
_PRUNE_ABOVE = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.burst > 0

    def wait_time(self, key: str) -> float:
        """Take a token for `key`: 0 when the request may go, else seconds until it may."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_ABOVE:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def check(self, key: str) -> None:
        """Raise RateLimited (429, Retry-After) when `key` is over its rate."""
        wait = self.wait_time(key)
        if wait > 0:
            raise RateLimited(
                f"This API key is limited to {self.rate:g} requests per second "
                f"(bursts of {self.burst}); retry in {wait:.2f}s.",
                retry_after=wait,
            )

    def _prune(self, now: float) -> None:
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for k in full:
            del self._buckets[k]


def limiter_of(state: State, *, rate: float, burst: int) -> RateLimiter:
    """The application's limiter, made on first use (one per application)."""
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        limiter = RateLimiter(rate=rate, burst=burst)
        state.rate_limiter = limiter
    return limiter
