"""services.validation: the uid rule every service that takes a uid shares."""

from __future__ import annotations

import pytest

from hookline.domain.errors import ValidationReport
from hookline.services.validation import check_uid


@pytest.mark.parametrize("uid", [None, "a", "Acme-Corp_2.eu", "x" * 100, "tenant_1"])
def test_acceptable_uids_add_no_error(uid: str | None) -> None:
    report = ValidationReport()
    check_uid(report, uid, "body.uid")
    assert report.errors == []


@pytest.mark.parametrize(
    ("uid", "why"),
    [
        ("", "starts alnum"),
        ("-lead", "starts alnum"),
        ("x" * 101, "1–100"),
        ("has space", "letters, digits"),
        ("ünï", "letters, digits"),
        ("ten_abc", "look like an id"),
        ("ep_abc", "look like an id"),
        ("key_abc", "look like an id"),
    ],
)
def test_each_refused_uid_is_named_at_its_location(uid: str, why: str) -> None:
    report = ValidationReport()
    check_uid(report, uid, "body.endpoint.uid")
    assert [(e.location, e.value) for e in report.errors] == [("body.endpoint.uid", uid)]
    assert why in report.errors[0].message
