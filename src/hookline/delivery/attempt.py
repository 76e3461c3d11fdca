"""One attempt: sign, send, and classify what came back. Knows nothing of the queue."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from hookline import tracing
from hookline.delivery.http_client import STORE_LIMIT, HttpSender, SendError
from hookline.domain.clock import utcnow
from hookline.domain.models import Endpoint
from hookline.domain.outgoing import masked, request_headers


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


def _text(body: bytes) -> str:
    return body[:STORE_LIMIT].decode("utf-8", errors="replace")


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
            error_message=str(exc),
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
        error = f"redirect not followed (Location: {resp.location or '-'})"
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
        retry_after=resp.retry_after,
        request_headers=stored_headers,
    )
