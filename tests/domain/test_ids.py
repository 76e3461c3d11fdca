from __future__ import annotations

import re

import pytest

from hookline.domain.ids import PREFIXES, encode, looks_like, new_id, timestamp_ms

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(value: int, length: int) -> str:
    """Crockford base32, five bits at a time, most significant first."""
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(length)))


@pytest.mark.parametrize(
    ("ms", "rand"),
    [
        (0, 0),
        ((1 << 48) - 1, (1 << 80) - 1),
        (1469922850259, 0),  # the time of the ULID spec's example, 01ARZ3NDEK...
        (1_790_000_000_123, 0x0123_4567_89AB_CDEF_FEDC),
        (1 << 47, 1 << 79),
        (1023, 1023 << 70),
    ],
)
def test_encoding_is_the_ulid_specs_crockford_base32(ms, rand):
    assert encode(ms, rand) == _reference(ms, 10) + _reference(rand, 16)


def test_the_ulid_specs_example_time_encodes_as_in_the_spec():
    assert encode(1469922850259, 0).startswith("01ARZ3NDEK")


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
