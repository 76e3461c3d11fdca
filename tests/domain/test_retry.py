from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from hookline.domain.retry import (
    RetryPolicy,
    format_schedule,
    parse_retry_after,
    parse_schedule,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_default_schedule_is_five_attempts_over_about_2_6_hours():
    policy = RetryPolicy.parse("5s,5m,30m,2h")
    assert policy.steps == (5, 300, 1800, 7200)
    assert policy.max_attempts == 5
    assert sum(policy.steps) / 3600 == pytest.approx(2.59, abs=0.01)


@pytest.mark.parametrize(
    ("text", "steps"),
    [("1s", (1,)), ("250ms,2", (0.25, 2)), ("1d", (86400,)), ("", ()), (" 5s , 1m ", (5, 60))],
)
def test_parse_schedule(text, steps):
    assert parse_schedule(text) == steps


@pytest.mark.parametrize("text", ["5x", "-1s", "abc", "8d", "5s,,1m"])
def test_bad_schedules_are_refused(text):
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_format_round_trips():
    assert format_schedule(parse_schedule("5s,5m,30m,2h")) == "5s,5m,30m,2h"


def test_jitter_stays_within_20_percent():
    policy = RetryPolicy.parse("100s")
    rng = random.Random(7)
    delays = [policy.next_delay(1, rng=rng) for _ in range(2000)]
    assert all(d is not None and 80 <= d <= 120 for d in delays)
    assert min(d for d in delays if d) < 85 and max(d for d in delays if d) > 115


def test_after_the_last_step_there_is_no_next_attempt():
    policy = RetryPolicy.parse("1s,2s")
    assert policy.next_delay(1) is not None
    assert policy.next_delay(2) is not None
    assert policy.next_delay(3) is None
    assert policy.next_attempt_at(3, now=NOW) is None


def test_retry_after_is_honoured_when_later_and_capped_at_the_last_step():
    policy = RetryPolicy((5.0, 300.0, 1800.0, 7200.0), jitter=0)
    assert policy.next_delay(1, retry_after=60) == 60
    assert policy.next_delay(1, retry_after=1) == 5  # earlier than the schedule: ignored
    assert policy.next_delay(1, retry_after=99999) == 7200  # capped at the last step


def test_retry_after_parses_seconds_and_http_dates():
    assert parse_retry_after("120", now=NOW) == 120
    assert parse_retry_after("Tue, 24 Nov 2026 12:01:00 GMT", now=NOW) == 60
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None
