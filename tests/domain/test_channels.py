"""Which endpoints receive a message by its channels, and which channel lists are valid."""

from __future__ import annotations

import pytest

from hookline.domain.channels import MAX_CHANNELS, check_channels, checked_channels, receives
from hookline.domain.errors import InvalidInput, ValidationReport


@pytest.mark.parametrize(
    ("listens_to", "carried", "expected"),
    [
        ((), (), True),  # no channels: every message
        ((), ("a",), True),
        (("a",), (), False),  # listens to channels, the message carries none
        (("a",), ("a",), True),
        (("a", "b"), ("c", "b"), True),
        (("a",), ("A",), False),  # names are compared exactly
        (("a",), ("b", "c"), False),
    ],
)
def test_receives(listens_to, carried, expected):
    assert receives(listens_to, carried) is expected


def test_check_channels_keeps_order_drops_repeats_and_reports_every_problem():
    report = ValidationReport()
    assert check_channels(report, ["b", "a", "b"], "body.channels") == ("b", "a")
    assert report.errors == []
    assert check_channels(report, None, "body.channels") == ()
    bad = ["ok", "", "-x", "a:b", "x" * 101, 7]
    check_channels(report, bad, "body.channels")  # type: ignore[list-item]
    assert [e.location for e in report.errors] == [f"body.channels.{i}" for i in range(1, 6)]


def test_at_most_ten():
    assert len(checked_channels([f"c{i}" for i in range(MAX_CHANNELS)], "x")) == MAX_CHANNELS
    with pytest.raises(InvalidInput) as caught:
        checked_channels([f"c{i}" for i in range(MAX_CHANNELS + 1)], "body.channels")
    assert caught.value.errors[0].location == "body.channels"
    assert checked_channels([], "x") == ()
