from __future__ import annotations

from datetime import UTC, datetime

from hookline.domain.models import DeliveryStatus
from hookline.domain.outcome import decide
from hookline.domain.retry import RetryPolicy

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy((5.0, 300.0), jitter=0)


def _decide(**kw):
    base = dict(
        succeeded=False,
        response_code=500,
        refused=False,
        retry_after=None,
        attempt_number=1,
        policy=POLICY,
        now=NOW,
    )
    base.update(kw)
    return decide(**base)


def test_success_is_delivered():
    d = _decide(succeeded=True, response_code=204)
    assert d.status is DeliveryStatus.DELIVERED and d.retry_in is None


def test_failure_is_retried_on_schedule_then_expires():
    first = _decide(attempt_number=1)
    assert first.status is DeliveryStatus.PENDING
    assert first.retry_in == 5
    assert _decide(attempt_number=3).status is DeliveryStatus.EXPIRED


def test_gone_fails_at_once_and_disables_the_endpoint():
    d = _decide(response_code=410)
    assert d.status is DeliveryStatus.FAILED and d.disable_endpoint


def test_network_policy_refusal_fails_without_retry():
    d = _decide(response_code=None, refused=True)
    assert d.status is DeliveryStatus.FAILED
    assert d.reason == "destination refused by network policy"


def test_retry_after_only_counts_on_429_and_503():
    assert _decide(response_code=429, retry_after="60").retry_in == 60
    assert _decide(response_code=503, retry_after="60").retry_in == 60
    assert _decide(response_code=500, retry_after="60").retry_in == 5
