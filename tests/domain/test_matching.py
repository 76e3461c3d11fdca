from __future__ import annotations

import pytest

from hookline.domain.matching import is_valid_name, is_valid_pattern, matches, subscribes


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ("invoice.paid", "invoice.paid", True),
        ("invoice.paid", "invoice.voided", False),
        ("*", "anything.at.all", True),
        ("contact.*", "contact.created", True),
        ("contact.*", "contact.note.added", True),
        ("contact.*", "contact", False),
        ("contact.*", "contacts.created", False),
        ("*.created", "contact.created", True),
        ("*.created", "contact.deleted", False),
        ("a.*.c", "a.b.c", True),
        ("a.*.c", "a.b.d", False),
        ("new_contact", "new_contact", True),
    ],
)
def test_matches(pattern, event, expected):
    assert matches(pattern, event) is expected


def test_subscribes_to_any_pattern():
    assert subscribes(["invoice.paid", "contact.*"], "contact.created")
    assert not subscribes(["invoice.paid"], "contact.created")


@pytest.mark.parametrize("name", ["invoice.paid", "new_contact", "a", "A-1.b_c"])
def test_valid_names(name):
    assert is_valid_name(name)


@pytest.mark.parametrize("name", ["", ".x", "has space", "x" * 101, "émoji", "a*"])
def test_invalid_names(name):
    assert not is_valid_name(name)


@pytest.mark.parametrize("pattern", ["*", "contact.*", "*.created", "a.*.c"])
def test_valid_patterns(pattern):
    assert is_valid_pattern(pattern)


@pytest.mark.parametrize("pattern", ["contact*", "**", "a.b*", "a..*"])
def test_invalid_patterns(pattern):
    assert not is_valid_pattern(pattern)
