"""The retry schedule: when the next attempt happens, as a pure function.

A schedule is the list of delays between attempts ("5s,5m,30m,2h" means attempt 1 at
once, attempt 2 five seconds after the first failure, and so on: five attempts). Each
delay gets ±20 % jitter. A receiver's `Retry-After` is honoured when later than the
schedule, capped at the schedule's last step.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

DEFAULT_SCHEDULE = "5s,5m,30m,2h"
JITTER = 0.2

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_schedule(text: str) -> tuple[float, ...]:
    """Parse "5s,5m,30m,2h" into seconds. A bare number means seconds.

    An empty string means no retries at all (one attempt).
    """
    text = text.strip()
    if not text:
        return ()
    steps = []
    for part in text.split(","):
        match = _STEP.match(part)
        if not match:
            raise ValueError(f"bad retry step {part.strip()!r}: use e.g. 5s, 5m, 2h")
        value = float(match.group(1)) * _UNITS[match.group(2) or "s"]
        if value < 0 or value > 7 * 86400:
            raise ValueError(f"retry step {part.strip()!r} must be between 0 and 7d")
        steps.append(value)
    if len(steps) > 50:
        raise ValueError("a retry schedule has at most 50 steps")
    return tuple(steps)


def parse_duration(text: str, *, maximum: float = 365 * 86400) -> float:
    """One duration such as "5d", "12h", "90s" (a bare number is seconds)."""
    match = _STEP.match(text)
    if not match:
        raise ValueError(f"bad duration {text.strip()!r}: use e.g. 30s, 5m, 12h, 5d")
    value = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if value <= 0 or value > maximum:
        raise ValueError(f"duration {text.strip()!r} must be above 0 and at most {maximum:g}s")
    return value


def format_schedule(steps: tuple[float, ...]) -> str:
    out = []
    for s in steps:
        for unit, size in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
            if s >= size and s % size == 0:
                out.append(f"{int(s // size)}{unit}")
                break
        else:
            out.append(f"{s:g}s")
    return ",".join(out)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds asked for by a `Retry-After` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    steps: tuple[float, ...]
    jitter: float = JITTER

    @classmethod
    def parse(cls, text: str) -> RetryPolicy:
        return cls(parse_schedule(text))

    @property
    def max_attempts(self) -> int:
        return len(self.steps) + 1

    def next_delay(
        self,
        attempt_number: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """Delay before the attempt after `attempt_number` (1-based), or None when exhausted."""
        if attempt_number < 1:
            raise ValueError("attempt numbers start at 1")
        if attempt_number > len(self.steps):
            return None
        base = self.steps[attempt_number - 1]
        factor = 1.0 + (rng or random).uniform(-self.jitter, self.jitter)
        delay = base * factor
        if retry_after is not None and retry_after > delay:
            delay = min(retry_after, max(self.steps))
        return delay

    def next_attempt_at(
        self,
        attempt_number: int,
        *,
        now: datetime,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> datetime | None:
        delay = self.next_delay(attempt_number, retry_after=retry_after, rng=rng)
        return None if delay is None else now + timedelta(seconds=delay)
