"""The bytes a receiver gets: `{"id","type","timestamp","data"}`, serialised once per
message; and the fingerprint that tells a repeated publish from a different one."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson

from hookline.domain.clock import isoformat


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


def request_fingerprint(*, event_type: str, payload: Any, ordering_key: str | None) -> str:
    """What makes two publishes with one idempotency key the same request (DESIGN §3):
    the event type, the payload as JSON (object keys in any order) and the ordering key,
    which decides where the message is delivered in sequence. SHA-256, hex."""
    canonical = orjson.dumps([event_type, payload, ordering_key], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
