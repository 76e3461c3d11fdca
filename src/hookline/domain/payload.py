"""The bytes a receiver gets: `{"id","type","timestamp","data"}`, serialised once per message."""

from __future__ import annotations

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
