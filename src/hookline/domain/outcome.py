"""What an attempt's result means for its delivery: the delivery state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hookline.domain.models import DeliveryStatus
from hookline.domain.retry import RetryPolicy, parse_retry_after

GONE = "410 Gone: the receiver asked not to be sent anything more"
REFUSED = "destination refused by network policy"
EXHAUSTED = "every attempt in the retry schedule failed"
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class Decision:
    status: DeliveryStatus
    retry_in: float | None  # seconds until the next attempt (pending only)
    reason: str | None
    disable_endpoint: str | None  # a reason to disable the endpoint, if any


def decide(
    *,
    succeeded: bool,
    response_code: int | None,
    refused: bool,
    retry_after: str | None,
    attempt_number: int,
    policy: RetryPolicy,
    now: datetime,
) -> Decision:
    if succeeded:
        return Decision(DeliveryStatus.DELIVERED, None, None, None)
    if refused:
        return Decision(DeliveryStatus.FAILED, None, REFUSED, None)
    if response_code == 410:
        return Decision(DeliveryStatus.FAILED, None, GONE, "410 Gone from the receiver")
    wait = None
    if response_code in RETRY_AFTER_STATUSES:
        wait = parse_retry_after(retry_after, now=now)
    delay = policy.next_delay(attempt_number, retry_after=wait)
    if delay is None:
        return Decision(DeliveryStatus.EXPIRED, None, EXHAUSTED, None)
    return Decision(DeliveryStatus.PENDING, delay, None, None)
