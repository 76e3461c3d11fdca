"""When the client sends a request again, and after how long.

Always after 429 and 503 (Hookline did nothing) and after a connection that was never
made; after other 5xx answers and broken connections only when the request is safe to
repeat. The wait doubles with each try, is jittered, honours Retry-After, and is capped.

Being throttled (429) is logged once per episode at WARNING on the `hookline.client`
logger: the first 429 after a minute without one, not every retry of every request.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from hookline.client.calls import Call
from hookline.client.errors import connection_error, error_from_answer

_ALWAYS_RETRY = frozenset({429, 503})  # Hookline did nothing: rate limited, or no database
_RETRY_IF_REPEATABLE = frozenset({500, 502, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAX_DELAY = 30.0
# A 429 this long after the last one starts a new throttling episode (and its warning).
QUIET_PERIOD = 60.0

log = logging.getLogger("hookline.client")


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


class ThrottleNotice:
    """Says once per throttling episode that Hookline is answering 429 (one per client)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()  # a sync Client may be shared by threads

    def saw_429(self, call: Call[Any], resp: httpx.Response, delay: float | None) -> None:
        now = self._clock()
        with self._lock:
            starts = self._last is None or now - self._last >= QUIET_PERIOD
            self._last = now
        if not starts:
            return
        then = "giving up" if delay is None else f"retrying in {delay:.1f}s"
        log.warning(
            "Hookline is throttling this client: %s %s answered 429 (%s); %s. Further 429s "
            "are retried without a word until %.0fs pass without one.",
            call.method,
            call.path,
            _detail(resp),
            then,
            QUIET_PERIOD,
        )


def _detail(resp: httpx.Response) -> str:
    try:
        detail = resp.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return detail if isinstance(detail, str) else f"Retry-After: {resp.headers.get('retry-after')}"


@dataclass(frozen=True, slots=True)
class Retry:
    """When to send a request again, and after how long (exponential, jittered)."""

    max_retries: int
    backoff: float
    throttle: ThrottleNotice = field(default_factory=ThrottleNotice, compare=False)

    def _delay(self, tries: int, at_least: float | None = None) -> float:
        exp = self.backoff * 2.0**tries
        delay = exp / 2 + random.uniform(0, exp / 2)
        return min(MAX_DELAY, max(delay, at_least or 0.0))

    def after_answer(self, call: Call[Any], resp: httpx.Response, tries: int) -> float | None:
        """Seconds to wait before sending `call` again, or None to give up."""
        code = resp.status_code
        delay = None
        if tries < self.max_retries and (
            code in _ALWAYS_RETRY or (call.repeatable and code in _RETRY_IF_REPEATABLE)
        ):
            delay = self._delay(tries, retry_after(resp))
        if code == 429:
            self.throttle.saw_429(call, resp, delay)
        return delay

    def wait_after(
        self, call: Call[Any], answer: httpx.Response | httpx.TransportError, tries: int
    ) -> float:
        """Seconds to wait before the next try of `call`, whose try number `tries` (from 0)
        got the error answer or the failed connection `answer`; raises the error to give
        up with when there is to be no next try."""
        if isinstance(answer, httpx.Response):
            delay = self.after_answer(call, answer, tries)
            if delay is None:
                raise error_from_answer(answer)
            return delay
        delay = self.after_failure(call, answer, tries)
        if delay is None:
            raise connection_error(answer, call.method, call.path) from answer
        return delay

    def after_failure(self, call: Call[Any], exc: httpx.TransportError, tries: int) -> float | None:
        if tries >= self.max_retries:
            return None
        # A request that never left is safe to send again; one that may have arrived
        # only when sending it twice changes nothing.
        if isinstance(exc, _NOT_SENT) or call.repeatable:
            return self._delay(tries)
        return None
