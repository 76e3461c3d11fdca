"""The per-key API rate limit (DESIGN §4): a token bucket per API key, its `RateLimit-*`
headers, and 429 with `Retry-After` past it.

Each key may spend `burst` requests at once and earns `rate` requests back per second.
Tenant-bound keys share one setting (`HOOKLINE_API_RATE_LIMIT`, 100/s); operator-wide
keys are the operator's own backend and have their own (`HOOKLINE_OPERATOR_API_RATE_LIMIT`,
none unless set), so the one key publishing every event is never throttled below what
Hookline can deliver. Buckets live in this process's memory: with several API processes
each allows the rate on its own, which bounds a runaway client without a shared store.

Answers to a limited key carry the IETF draft's header fields ("RateLimit header
fields for HTTP", draft 6): `RateLimit-Limit` (the burst: requests a full bucket
allows at once), `RateLimit-Remaining` (what is left of it now) and `RateLimit-Reset`
(whole seconds until the bucket is full again). A refused request also gets
`Retry-After`: whole seconds until the next request may go, the same figure its detail
names.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.domain.errors import RateLimited
from hookline.domain.models import Principal
from hookline.services.context import Policy

# Above this many buckets, full ones (keys idle long enough to have refilled) are dropped.
_PRUNE_ABOVE = 10_000
# Where a request's quota waits for its answer's headers (`request.state`).
STATE_KEY = "rate_quota"


@dataclass(frozen=True, slots=True)
class Quota:
    """A limited key's standing after one request."""

    limit: int  # the burst
    remaining: int
    reset: int  # whole seconds until the bucket is full again
    retry_after: int  # whole seconds until the next request may go; 0 when this one went

    def header_pairs(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]


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
        return self._take(key).tokens_short / self.rate

    def take(self, key: str) -> Quota | None:
        """Take a token for `key` and say where it stands (None: this limiter is off)."""
        if not self.enabled:
            return None
        taken = self._take(key)
        tokens = taken.bucket.tokens
        return Quota(
            limit=self.burst,
            remaining=int(tokens),
            reset=math.ceil((self.burst - tokens) / self.rate),
            # At least 1: "Retry-After: 0" would invite an immediate retry, refused again.
            retry_after=max(1, math.ceil(taken.tokens_short / self.rate))
            if taken.tokens_short
            else 0,
        )

    def check(self, key: str) -> Quota | None:
        """Take a token; raise RateLimited (429, Retry-After) when `key` is over its rate."""
        quota = self.take(key)
        if quota is not None and quota.retry_after:
            raise self.refusal(quota)
        return quota

    def refusal(self, quota: Quota) -> RateLimited:
        seconds = "1 second" if quota.retry_after == 1 else f"{quota.retry_after} seconds"
        return RateLimited(
            f"This API key is limited to {self.rate:g} requests per second "
            f"(bursts of {self.burst}); retry in {seconds}.",
            retry_after=quota.retry_after,
        )

    def _take(self, key: str) -> _Taken:
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
            return _Taken(bucket, 0.0)
        return _Taken(bucket, 1.0 - bucket.tokens)

    def _prune(self, now: float) -> None:
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for k in full:
            del self._buckets[k]


@dataclass(frozen=True, slots=True)
class _Taken:
    bucket: _Bucket
    tokens_short: float  # what the bucket lacked for this request (0: it went)


class KeyLimits:
    """The two limiters: tenant-bound keys, and operator-wide keys."""

    def __init__(self, policy: Policy) -> None:
        self.tenant_keys = RateLimiter(rate=policy.api_rate_limit, burst=policy.api_rate_burst)
        self.operator_keys = RateLimiter(
            rate=policy.operator_api_rate_limit, burst=policy.operator_api_rate_burst
        )

    def limiter_for(self, principal: Principal) -> RateLimiter:
        return self.operator_keys if principal.tenant_id is None else self.tenant_keys


def limits_of(state: State, policy: Policy) -> KeyLimits:
    """The application's limiters, made on first use (one pair per application)."""
    limits: KeyLimits | None = getattr(state, "rate_limits", None)
    if limits is None:
        limits = KeyLimits(policy)
        state.rate_limits = limits
    return limits


def quota_of(scope: Scope) -> Quota | None:
    """The quota `principal_of` left for this request's answer, if its key is limited."""
    state = scope.get("state")
    quota = state.get(STATE_KEY) if state else None
    return quota if isinstance(quota, Quota) else None


class RateLimitHeaders:
    """Adds a limited key's `RateLimit-*` headers to whatever the application answers
    (errors included: a 404 spends a request as much as a 200 does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                quota = quota_of(scope)
                if quota is not None:
                    message["headers"] = [*message.get("headers", ()), *quota.header_pairs()]
            await send(message)

        await self.app(scope, receive, send_with_quota)
