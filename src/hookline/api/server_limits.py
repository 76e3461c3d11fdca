"""The API bounds its clients (DESIGN §6): a request head over 64 KiB gets 431, and a
connection that has not sent a complete request head within 10 s is closed.

uvicorn on httptools has neither limit: httptools builds a header value with `+=`
(an unauthenticated 50 MiB header line was read whole, +80 MB and seconds of CPU),
and nothing times out a connection before its first request is whole (half-open
connections stayed for ever). `BoundedHttpToolsProtocol` is uvicorn's own protocol
with both, given to uvicorn as its `http` class by `hookline serve`/`api` (cli.py)
and by the tests' harness.

What it costs a request is kept to the least (`make bench` measures publishes): bytes
are counted in `data_received` only while a head is incomplete, before the parser sees
them, so a body costs one test; one timer per connection, re-armed at most every
`HEAD_TIMEOUT`, watches the time a head has been under way, noted at its first read.
A pipelined head that shares a read with the end of the previous request's body is
counted from the next read on, so it may reach 64 KiB plus one read (256 KiB).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hookline.api.problems import MEDIA_TYPE, TYPE_BASE

HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT = 10.0
LINGER_SECONDS = 1.0  # after a refusal, reading on so the answer is not lost to a reset
LINGER_BYTES = 1024 * 1024


def _answer(status: int, reason: str, slug: str, title: str, detail: str) -> bytes:
    body = orjson.dumps(
        {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    )
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {MEDIA_TYPE}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


HEAD_TOO_LARGE = _answer(
    431,
    "Request Header Fields Too Large",
    "request-head-too-large",
    "Request head too large",
    f"The request head (request line and header fields) is over {HEAD_LIMIT // 1024} KiB.",
)
HEAD_TIMED_OUT = _answer(
    408,
    "Request Timeout",
    "request-timeout",
    "Request timeout",
    f"The request head was not complete within {HEAD_TIMEOUT:g} seconds.",
)


_parent = HttpToolsProtocol


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # between requests or inside a head: bytes are counted
        self._head_bytes = 0
        self._head_since: float | None = None  # when the head under way began
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False  # answered 431/408: what the client still sends is dropped
        self._lingered = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # The connection's first head is under way from the start: a client that
        # connects and sends nothing is closed as one that sends its head slowly.
        self._head_since = now = self.loop.time()
        self._head_timer = self.loop.call_at(now + HEAD_TIMEOUT, self._check_head)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes | memoryview) -> None:
        # The parent's methods are called by name, not through super(): a little
        # quicker, on the path every request takes.
        if self._refused:
            self._linger(len(data))
            return
        if not self._in_head:
            _parent.data_received(self, data)  # type: ignore[arg-type]
            return
        if self._head_since is None:  # the first bytes of a head
            self._head_since = self.loop.time()
        total = self._head_bytes + len(data)
        if total <= HEAD_LIMIT:
            self._head_bytes = total
            _parent.data_received(self, data)  # type: ignore[arg-type]
            return
        # Feed what fits; if the head ends within it, the rest is body (or another head).
        room = HEAD_LIMIT - self._head_bytes
        self._head_bytes = HEAD_LIMIT
        view = memoryview(data)
        if room:
            super().data_received(view[:room])  # type: ignore[arg-type]
        if self.transport.is_closing():
            return
        if self._in_head:
            self._refuse(HEAD_TOO_LARGE)
        else:
            self.data_received(view[room:])

    # -- httptools callbacks ----------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_since = None
        self._head_bytes = 0
        _parent.on_headers_complete(self)

    def on_message_complete(self) -> None:
        _parent.on_message_complete(self)
        self._in_head = True  # what comes next on this connection is the next head

    # -- the limits -------------------------------------------------------------------

    def _check_head(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        since = self._head_since
        if since is not None and now - since >= HEAD_TIMEOUT - 0.001:
            self._refuse(HEAD_TIMED_OUT)
            return
        # No head under way (a request being handled, or kept alive between requests,
        # which uvicorn's keep-alive timeout bounds): look again when one could be late.
        start = since if since is not None else now
        self._head_timer = self.loop.call_at(start + HEAD_TIMEOUT, self._check_head)

    def _refuse(self, answer: bytes) -> None:
        """Answers (unless a response is under way on this connection) and closes. The
        client may still be sending: reading on for a moment keeps the answer from
        being lost to the reset that closing over unread bytes would send."""
        self._refused = True
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def _linger(self, size: int) -> None:
        self._lingered += size
        if self._lingered > LINGER_BYTES:
            self.transport.abort()
