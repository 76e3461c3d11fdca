"""Prefixed, time-sortable ids (`msg_` + 26 characters of a ULID).

A ULID is 48 bits of milliseconds and 80 random bits in Crockford base32. Within one
process ids are strictly increasing, even inside one millisecond, so ordering by id is
ordering by creation.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1

PREFIXES = frozenset({"ten", "ep", "msg", "dlv", "att", "key"})

_lock = threading.Lock()
_last_ms = 0
_last_random = 0


# Two characters per 10 bits: a ULID's 26 characters are 13 look-ups (ids are made
# three per message on the delivery path; a character at a time took three times longer).
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)


def encode(ms: int, rand: int) -> str:
    """The 26 characters of the ULID with these 48 bits of milliseconds and 80 random bits."""
    p = _PAIRS
    return (
        p[ms >> 40 & 1023]
        + p[ms >> 30 & 1023]
        + p[ms >> 20 & 1023]
        + p[ms >> 10 & 1023]
        + p[ms & 1023]
        + p[rand >> 70 & 1023]
        + p[rand >> 60 & 1023]
        + p[rand >> 50 & 1023]
        + p[rand >> 40 & 1023]
        + p[rand >> 30 & 1023]
        + p[rand >> 20 & 1023]
        + p[rand >> 10 & 1023]
        + p[rand & 1023]
    )


def ulid() -> str:
    """Return a 26-character monotonic ULID."""
    global _last_ms, _last_random
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            now_ms = _last_ms
            rand = _last_random + 1
            if rand > _RANDOM_MAX:  # 2**80 ids in one ms: move to the next ms
                now_ms += 1
                rand = int.from_bytes(os.urandom(10), "big") >> 1
        else:
            # Leave headroom so the increment above never overflows in practice.
            rand = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms, _last_random = now_ms, rand
    return encode(now_ms, rand)


def new_id(prefix: str) -> str:
    """Return a new id such as `msg_01JD...`; `prefix` is one of PREFIXES."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{ulid()}"


def looks_like(prefix: str, value: str) -> bool:
    """True when `value` has the shape of an id with this prefix (not a uid)."""
    head = prefix + "_"
    if not value.startswith(head) or len(value) != len(head) + 26:
        return False
    return all(c in _ALPHABET for c in value[len(head) :])


def timestamp_ms(value: str) -> int:
    """Milliseconds since the epoch encoded in an id or ULID."""
    body = value.rsplit("_", 1)[-1]
    out = 0
    for c in body[:10]:
        out = out * 32 + _ALPHABET.index(c)
    return out
