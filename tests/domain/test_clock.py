"""Hookline's time text: UTC, milliseconds (truncated), `Z`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hookline.domain.clock import isoformat


def test_renders_utc_with_truncated_milliseconds_and_z():
    assert isoformat(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) == "2026-11-23T10:00:00.000Z"
    assert isoformat(datetime(2026, 11, 23, 10, 0, 0, 999999, tzinfo=UTC)) == (
        "2026-11-23T10:00:00.999Z"
    )
    assert isoformat(datetime(2026, 11, 23, 10, 0, 0, 1500, tzinfo=UTC)) == (
        "2026-11-23T10:00:00.001Z"
    )


def test_other_offsets_are_converted_to_utc():
    plus_two = timezone(timedelta(hours=2))
    assert isoformat(datetime(2026, 1, 1, 1, 30, tzinfo=plus_two)) == "2025-12-31T23:30:00.000Z"
    zero = timezone(timedelta(0), "GMT")  # zero offset, but not the UTC object
    assert isoformat(datetime(2026, 1, 1, tzinfo=zero)) == "2026-01-01T00:00:00.000Z"


def test_matches_strftime_over_many_instants():
    start = datetime(2026, 11, 24, 23, 59, 58, tzinfo=UTC)
    for i in range(0, 3_000_000, 7919):
        value = start + timedelta(microseconds=i)
        expected = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        assert isoformat(value) == expected
