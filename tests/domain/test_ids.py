from __future__ import annotations

import re

import pytest

from hookline.domain.ids import PREFIXES, looks_like, new_id, timestamp_ms


def test_ids_carry_their_prefix_and_26_characters():
    for prefix in PREFIXES:
        value = new_id(prefix)
        assert re.fullmatch(rf"{prefix}_[0-9A-HJKMNP-TV-Z]{{26}}", value)
        assert looks_like(prefix, value)


def test_ids_sort_by_creation_even_within_one_millisecond():
    ids = [new_id("msg") for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_timestamp_is_recoverable():
    import time

    before = int(time.time() * 1000)
    value = new_id("dlv")
    assert before <= timestamp_ms(value) <= before + 1000


def test_unknown_prefix_is_refused():
    with pytest.raises(ValueError):
        new_id("xyz")
    assert not looks_like("ep", "crm-sync")
