"""One attempt: sign, send, and classify what came back. Knows nothing of the queue.

What it keeps of the answer is bounded (DESIGN §6): the body's first 2 KiB, and every
text taken from the response or an error (the error message with any redirect
location, the response's header fields) at most 1 KiB, marked where it was cut.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from hookline import tracing
from hookline.delivery.http_client import STORE_LIMIT, HttpSender, SendError
from hookline.domain.clock import utcnow
from hookline.domain.models import Endpoint
from hookline.domain.outgoing import masked, request_headers
from hookline.domain.stored_text import bounded, storable


@dataclass(frozen=True, slots=True)
class AttemptResult:
    started_at: datetime
    duration_ms: int
    response_code: int | None
    response_body: str | None
    error_message: str | None
    succeeded: bool
    refused: bool  # the network policy refused the destination
    timed_out: bool  # no answer within the endpoint's timeout
    retry_after: str | None
    request_headers: dict[str, str]
    response_headers: str | None = None  # "Name: value" lines, at most 1 KiB


def _text(body: bytes) -> str:
    return storable(body[:STORE_LIMIT].decode("utf-8", errors="replace"))


def _head_text(fields: list[bytes]) -> str:
    return bounded(b"\n".join(fields).decode("latin-1"))


async def perform(
    sender: HttpSender,
    endpoint: Endpoint,
    *,
    secrets: list[str],
    message_id: str,
    event_type: str,
    body: bytes,
) -> AttemptResult:
    started_at = utcnow()
    headers = request_headers(
        endpoint,
        secrets=secrets,
        message_id=message_id,
        event_type=event_type,
        timestamp=int(started_at.timestamp()),
        body=body,
    )
    if tracing.ENABLED and endpoint.send_trace_context:  # inside the attempt's span
        headers.update(tracing.trace_headers())
    t0 = time.perf_counter()
    stored_headers = masked(endpoint, headers)
    try:
        resp = await sender.post(endpoint.url, body=body, headers=headers, timeout=endpoint.timeout)
    except SendError as exc:
        return AttemptResult(
            started_at=started_at,
            duration_ms=int((time.perf_counter() - t0) * 1000),
            response_code=None,
            response_body=None,
            error_message=bounded(str(exc)),
            succeeded=False,
            refused=exc.refused,
            timed_out=exc.timed_out,
            retry_after=None,
            request_headers=stored_headers,
        )
    duration_ms = int((time.perf_counter() - t0) * 1000)
    ok = 200 <= resp.status < 300
    error = None
    if 300 <= resp.status < 400:
        error = bounded(f"redirect not followed (Location: {resp.location or '-'})")
    elif not ok:
        error = f"HTTP {resp.status}"
    return AttemptResult(
        started_at=started_at,
        duration_ms=duration_ms,
        response_code=resp.status,
        response_body=_text(resp.body),
        error_message=error,
        succeeded=ok,
        refused=False,
        timed_out=False,
        # A date or a number of seconds: anything longer is no Retry-After anyone means.
        retry_after=None if resp.retry_after is None else resp.retry_after[:100],
        request_headers=stored_headers,
        response_headers=_head_text(resp.fields),
    )
