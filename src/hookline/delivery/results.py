"""An attempt's result as the recorder writes it: the attempt row, what it does to its
delivery (the retry schedule's decision) and to its endpoint's health."""

from __future__ import annotations

from hookline.delivery.attempt import AttemptResult
from hookline.delivery.recorder import Record
from hookline.domain.clock import utcnow
from hookline.domain.ids import new_id
from hookline.domain.models import Attempt, AttemptStatus, DeliveryStatus, Endpoint, Ordering
from hookline.domain.outcome import decide
from hookline.domain.retry import RetryPolicy
from hookline.store import queue
from hookline.store.queue import Claimed


def record_of(
    c: Claimed,
    ep: Endpoint,
    result: AttemptResult,
    *,
    retry: RetryPolicy,
    overloaded: bool | None,
) -> Record:
    number = c.attempt_count + 1
    policy = RetryPolicy(ep.retry_schedule) if ep.retry_schedule is not None else retry
    decision = decide(
        succeeded=result.succeeded,
        response_code=result.response_code,
        refused=result.refused,
        retry_after=result.retry_after,
        attempt_number=number,
        policy=policy,
        now=utcnow(),
    )
    attempt = Attempt(
        id=new_id("att"),
        delivery_id=c.id,
        endpoint_id=c.endpoint_id,
        message_id=c.message_id,
        tenant_id=c.tenant_id,
        event_type=c.event_type,
        attempt_number=number,
        url=ep.url,
        started_at=result.started_at,
        duration_ms=result.duration_ms,
        response_code=result.response_code,
        response_body=result.response_body,
        error_message=result.error_message,
        status=AttemptStatus.SUCCEEDED if result.succeeded else AttemptStatus.FAILED,
        request_headers=result.request_headers,
        response_headers=result.response_headers,
    )
    outcome = queue.Outcome(
        delivery_id=c.id,
        lease_token=c.lease_token,
        status=decision.status,
        retry_in=decision.retry_in,
        attempted_at=result.started_at,
        response_code=result.response_code,
        failure_reason=None if result.succeeded else (decision.reason or result.error_message),
    )
    return Record(
        attempt,
        outcome,
        decision.disable_endpoint,
        overloaded=overloaded,
        fifo=ep.ordering is Ordering.FIFO,
    )


def failed_before_sending(c: Claimed, reason: str, retry: RetryPolicy) -> Record:
    """A failed attempt for a delivery Hookline could not even prepare (its endpoint's
    secrets cannot be opened): recorded and retried on the deployment's schedule, so
    that it is neither lost nor held."""
    now = utcnow()
    number = c.attempt_count + 1
    delay = retry.next_delay(number)
    attempt = Attempt(
        id=new_id("att"),
        delivery_id=c.id,
        endpoint_id=c.endpoint_id,
        message_id=c.message_id,
        tenant_id=c.tenant_id,
        event_type=c.event_type,
        attempt_number=number,
        url="",
        started_at=now,
        duration_ms=0,
        response_code=None,
        response_body=None,
        error_message=reason[:1000],
        status=AttemptStatus.FAILED,
        request_headers={},
    )
    outcome = queue.Outcome(
        delivery_id=c.id,
        lease_token=c.lease_token,
        status=DeliveryStatus.PENDING if delay is not None else DeliveryStatus.EXPIRED,
        retry_in=delay,
        attempted_at=now,
        response_code=None,
        failure_reason=reason[:1000],
    )
    return Record(attempt, outcome, None)
