"""When the client sends a request again, and after how long.

Always after 429 and 503 (Hookline did nothing) and after a connection that was never
made; after other 5xx answers and broken connections only when the request is safe to
repeat. The wait doubles with each try, is jittered, honours Retry-After, and is capped.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from hookline.client.calls import Call

_ALWAYS_RETRY = frozenset({429, 503})  # Hookline did nothing: rate limited, or no database
_RETRY_IF_REPEATABLE = frozenset({500, 502, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAX_DELAY = 30.0


def retry_after(resp: httpx.Response) -> float | None:
    """The seconds the Retry-After header asks for (given as seconds or as a date)."""
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Retry:
    """When to send a request again, and after how long (exponential, jittered)."""

    max_retries: int
    backoff: float

    def _delay(self, tries: int, at_least: float | None = None) -> float:
        exp = self.backoff * 2.0**tries
        delay = exp / 2 + random.uniform(0, exp / 2)
        return min(MAX_DELAY, max(delay, at_least or 0.0))

    def after_answer(self, call: Call[Any], resp: httpx.Response, tries: int) -> float | None:
        """Seconds to wait before sending `call` again, or None to give up."""
        code = resp.status_code
        if tries >= self.max_retries:
            return None
        if code in _ALWAYS_RETRY or (call.repeatable and code in _RETRY_IF_REPEATABLE):
            return self._delay(tries, retry_after(resp))
        return None

    def after_failure(self, call: Call[Any], exc: httpx.TransportError, tries: int) -> float | None:
        if tries >= self.max_retries:
            return None
        # A request that never left is safe to send again; one that may have arrived
        # only when sending it twice changes nothing.
        if isinstance(exc, _NOT_SENT) or call.repeatable:
            return self._delay(tries)
        return None
