"""The bytes a receiver gets: `{"id","type","timestamp","data"}`, serialised once per
message, and how deep a payload may nest to fit in them; and the fingerprint that tells
a repeated publish from a different one."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson

from hookline.domain.clock import isoformat

# orjson writes at most 254 levels of arrays and objects, and the envelope is one of
# them: a payload of 254 levels parsed fine and then failed as the message was stored.
MAX_PAYLOAD_DEPTH = 253


def nesting_depth(value: Any, *, beyond: int) -> int:
    """How many levels of arrays and objects `value` nests (a scalar: 0), counted
    without recursion and no further than `beyond` + 1."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > beyond:
                break
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def message_body(*, message_id: str, event_type: str, created_at: datetime, data: Any) -> bytes:
    return orjson.dumps(
        {
            "id": message_id,
            "type": event_type,
            "timestamp": isoformat(created_at),
            "data": data,
        }
    )


def body_data(body: bytes) -> Any:
    """The `data` part of a stored body (the payload as published)."""
    return orjson.loads(body)["data"]


def request_fingerprint(
    *,
    event_type: str,
    payload: Any,
    ordering_key: str | None,
    channels: tuple[str, ...] = (),
) -> str:
    """What makes two publishes with one idempotency key the same request (DESIGN §3):
    the event type, the payload as JSON (object keys in any order), the ordering key,
    which decides where the message is delivered in sequence, and the channels, which
    decide who receives it (in any order; none leaves the fingerprint as it was before
    channels existed). SHA-256, hex."""
    parts: list[Any] = [event_type, payload, ordering_key]
    if channels:
        parts.append(sorted(set(channels)))
    canonical = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
