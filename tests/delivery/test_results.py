"""An attempt's result as the recorder writes it: the retry schedule's decision as a
delay from the database's now, and a failed attempt for what could not be prepared."""

from __future__ import annotations

from datetime import UTC, datetime

from hookline.delivery.attempt import AttemptResult
from hookline.delivery.results import failed_before_sending, record_of
from hookline.domain.models import (
    AttemptStatus,
    AuthType,
    DeliveryStatus,
    Endpoint,
    EndpointAuth,
    Ordering,
    SignatureConfig,
)
from hookline.domain.retry import RetryPolicy
from hookline.store.queue import Claimed

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy((5.0, 300.0), jitter=0)


def claimed(attempts: int = 0) -> Claimed:
    return Claimed(
        id="dlv_1",
        message_id="msg_1",
        endpoint_id="ep_1",
        tenant_id="ten_1",
        event_type="t",
        attempt_count=attempts,
        lease_token="t" * 32,
        created_at=T0,
        due_at=T0,
        claimed_at=T0,
    )


def endpoint(**kw) -> Endpoint:
    base = dict(
        id="ep_1",
        tenant_id="ten_1",
        uid=None,
        url="https://example.com/hook",
        description="",
        events=("*",),
        enabled=True,
        disabled_reason=None,
        timeout=30,
        rate_limit=None,
        max_in_flight=None,
        ordering=Ordering.UNORDERED,
        retry_schedule=None,
        auth=EndpointAuth(AuthType.NONE),
        headers={},
        signature=SignatureConfig(scheme="standard-webhooks"),
        has_secret=True,
        failure_count=0,
        last_failure_at=None,
        last_success_at=None,
        created_at=T0,
        updated_at=T0,
    )
    base.update(kw)
    return Endpoint(**base)


def result(code: int | None, **kw) -> AttemptResult:
    base = dict(
        started_at=T0,
        duration_ms=12,
        response_code=code,
        response_body="ok",
        error_message=None if code == 200 else f"HTTP {code}",
        succeeded=code == 200,
        refused=False,
        timed_out=False,
        retry_after=None,
        request_headers={"webhook-id": "msg_1"},
    )
    base.update(kw)
    return AttemptResult(**base)


def test_a_success_delivers():
    r = record_of(claimed(), endpoint(), result(200), retry=POLICY, overloaded=False)
    assert r.outcome.status is DeliveryStatus.DELIVERED and r.outcome.retry_in is None
    assert r.attempt.status is AttemptStatus.SUCCEEDED and r.attempt.attempt_number == 1
    assert r.overloaded is False and not r.fifo


def test_a_failure_waits_the_schedules_delay_and_the_last_one_expires():
    first = record_of(claimed(0), endpoint(), result(500), retry=POLICY, overloaded=None)
    assert first.outcome.status is DeliveryStatus.PENDING and first.outcome.retry_in == 5.0
    assert first.outcome.failure_reason == "HTTP 500"
    last = record_of(claimed(2), endpoint(), result(500), retry=POLICY, overloaded=None)
    assert last.outcome.status is DeliveryStatus.EXPIRED and last.outcome.retry_in is None


def test_an_endpoints_own_schedule_wins_and_fifo_is_marked():
    ep = endpoint(retry_schedule=(1.0,), ordering=Ordering.FIFO)
    r = record_of(claimed(0), ep, result(503), retry=POLICY, overloaded=True)
    assert 0.8 <= r.outcome.retry_in <= 1.2  # ±20 % jitter of its 1 s
    assert r.fifo and r.overloaded


def test_gone_disables_the_endpoint():
    r = record_of(claimed(), endpoint(), result(410), retry=POLICY, overloaded=None)
    assert r.outcome.status is DeliveryStatus.FAILED and r.disable_endpoint


def test_what_could_not_be_prepared_is_a_failed_attempt_on_the_schedule():
    r = failed_before_sending(claimed(0), "the endpoint's stored secrets cannot be opened", POLICY)
    assert r.attempt.status is AttemptStatus.FAILED and r.attempt.response_code is None
    assert r.outcome.status is DeliveryStatus.PENDING and r.outcome.retry_in == 5.0
    assert "cannot be opened" in r.outcome.failure_reason
    assert failed_before_sending(claimed(2), "x", POLICY).outcome.status is DeliveryStatus.EXPIRED
