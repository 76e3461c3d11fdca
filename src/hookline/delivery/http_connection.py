"""One HTTP/1.1 connection of the delivery client: it writes a request, reads the
response with httptools' parser, and tells whether the connection may carry another.

A response body is kept up to a limit; a longer one ends the exchange at the limit and
the connection is closed rather than read to the end. A response that ends when the
server closes the connection (no length, not chunked) is whole at that close.

Whatever a server sends, what one exchange holds is bounded (DESIGN §6), and past a
limit the exchange fails at once with a `ResponseTooLarge` that names it (the caller
drops the connection):

- the response head, status line and fields, at most `HEAD_LIMIT` bytes (64 KiB; the
  heads of interim answers count towards it too) and `MAX_FIELDS` (100) fields a head;
- at most `MAX_INTERIM` (10) interim (1xx) answers before the final one;
- after the head, the body is read up to the read limit (64 KiB), and chunk framing and
  trailers take at most `BODY_WIRE_LIMIT` bytes of the wire: the exchange then ends
  with what was read, as at the read limit.

The head is counted in `data_received`, before the parser sees a byte, and the parser
is never fed past the limit: httptools builds a header value with `+=` before any
callback can look at it, so a 50 MiB header line fed whole is held (and copied, at
quadratic cost) whole. The count stops at the end of the head, so a body costs nothing.

Memory one exchange can hold, whatever the server sends (beside the request itself):
one read of the transport (256 KiB at most, asyncio's and uvloop's read size), the part
of it fed to the parser (a view, no copy), the parser's field being built (64 KiB, and
as much again while `+=` copies it), the fields kept (64 KiB), the body (64 KiB as read,
64 KiB joined and 64 KiB decoded, with zlib's ~40 KiB of state): about 700 KiB, under
1 MiB (tests/delivery/test_http_connection.py measures it).
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from typing import cast

import httptools

HEAD_LIMIT = 64 * 1024
MAX_FIELDS = 100
MAX_INTERIM = 10
_WANTED = frozenset((b"retry-after", b"location", b"content-encoding"))


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes  # at most the connection's read limit, decoded if the server compressed it
    retry_after: str | None
    location: str | None
    fields: list[bytes]  # the head's fields as they came, b"Name: value", at most MAX_FIELDS


class ConnectionClosed(Exception):
    """The connection ended before a whole response came; `answered` tells whether any
    byte of a response had arrived."""

    def __init__(self, message: str, *, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered


class BadResponse(Exception):
    """What came back is not HTTP/1.1 this client can read."""


class ResponseTooLarge(BadResponse):
    """The response went past one of the limits; the message names it."""


class _Unasked(Exception):
    """A response began while no request was waiting for one."""


class HttpConnection(asyncio.Protocol):
    """Carries one exchange at a time; `exchange` must not be called again before the
    previous one is done. Whoever gets `keep_alive=False` (or an error) closes it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, read_limit: int) -> None:
        self._loop = loop
        self._limit = read_limit
        self._wire_limit = 2 * read_limit  # after the head: body, chunk framing, trailers
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[Response, bool]] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._answered = False  # a byte of the current response arrived
        self._headers_done = False
        self._status = 0
        self._found: dict[bytes, bytes] = {}
        self._fields: list[bytes] = []
        self._body: list[bytes] = []
        self._size = 0
        self._interim = 0
        self._received = 0  # bytes of this exchange's answer so far...
        self._budget = HEAD_LIMIT  # ...and how many it may take before a limit is met
        self.closed = False
        self.idle_since = 0.0

    # -- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes | memoryview) -> None:
        if self._waiter is None:  # nothing was asked: a server talking out of turn
            self.close()
            return
        self._answered = True
        received = self._received + len(data)
        if received > self._budget:
            self._past_budget(data)
            return
        self._received = received
        self._feed(data)

    def _past_budget(self, data: bytes | memoryview) -> None:
        """Feeds what fits in the budget; then either the head ended within it (a new
        budget for the body: the rest goes on) or a limit is met."""
        room = self._budget - self._received
        self._received = self._budget
        view = memoryview(data)
        if room > 0:
            self._feed(view[:room])
        if self._waiter is None:  # answered, or failed, within the room
            return
        if self._received < self._budget:  # the head ended: the body has a budget now
            self.data_received(view[room:])
        elif not self._headers_done:
            self._fail(ResponseTooLarge(f"response head over {HEAD_LIMIT // 1024} KiB"))
        else:  # framing and trailers took the body's share: what was read is the answer
            self._finish(keep_alive=False)

    def _feed(self, data: bytes | memoryview) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(BadResponse("the server switched protocols"))
        except httptools.HttpParserCallbackError as exc:  # a callback stopped the parser
            cause = exc.__context__
            if isinstance(cause, BadResponse):
                self._fail(cause)
            elif isinstance(cause, _Unasked):
                self.abort()
            else:
                self._fail(BadResponse(f"invalid HTTP response: {exc}"))
        except httptools.HttpParserError as exc:
            self._fail(BadResponse(f"invalid HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is None:
            return
        if self._headers_done:  # a body that runs to the close, or one cut short
            self._finish(keep_alive=False)
            return
        reason = f": {exc}" if exc is not None else ""
        self._fail(ConnectionClosed(f"connection closed{reason}", answered=self._answered))

    # -- httptools callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        # A second answer in the same read as the first: parsed by now, it would be
        # taken for the answer to the next request on this connection.
        if self._waiter is None:
            raise _Unasked

    def on_header(self, name: bytes, value: bytes) -> None:
        fields = self._fields
        fields.append(name + b": " + value)
        if len(fields) > MAX_FIELDS:
            raise ResponseTooLarge(f"response head has more than {MAX_FIELDS} fields")
        name = name.lower()
        if name in _WANTED:
            self._found[name] = value

    def on_headers_complete(self) -> None:
        status = self._status = self._parser.get_status_code()
        self._headers_done = True
        if status >= 200:  # the final answer's head: the rest is its body
            self._budget = self._received + self._wire_limit

    def on_body(self, chunk: bytes) -> None:
        room = self._limit - self._size
        if room <= 0:
            return
        if len(chunk) >= room:
            self._body.append(chunk[:room])
            self._size = self._limit
            self._finish(keep_alive=False)  # the rest is not read: the connection goes
            return
        self._body.append(chunk)
        self._size += len(chunk)

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:  # an interim answer: the real one follows
            self._interim += 1
            if self._interim > MAX_INTERIM:
                raise ResponseTooLarge(f"more than {MAX_INTERIM} interim (1xx) answers")
            self._next_head()
            return
        self._finish(keep_alive=self._parser.should_keep_alive())

    # -- the exchange -----------------------------------------------------------------

    def exchange(self, request: bytes, deadline: float) -> asyncio.Future[tuple[Response, bool]]:
        """Sends `request` (head and body); the future gets the response and whether the
        connection may be used again, or ConnectionClosed / BadResponse, or TimeoutError
        at `deadline` (the loop's clock), when the connection is dropped."""
        assert self._waiter is None
        assert self._transport is not None
        self._reset()
        waiter = self._waiter = self._loop.create_future()
        # One timer on the loop, cancelled by the answer: cheaper than asyncio.timeout()
        # around every exchange, which a delivery pays thousands of times a second.
        self._timer = self._loop.call_at(deadline, self._time_out)
        self._transport.write(request)
        return waiter

    def _time_out(self) -> None:
        waiter, self._waiter = self._waiter, None
        self.abort()
        if waiter is not None and not waiter.done():
            waiter.set_exception(TimeoutError())

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Drops the connection at once (a timed-out or cancelled exchange)."""
        self.closed = True
        self._waiter = None
        self._stop_timer()
        if self._transport is not None:
            self._transport.abort()

    def _reset(self) -> None:
        self._answered = False
        self._next_head()
        self._body = []
        self._size = 0
        self._interim = 0
        self._received = 0
        self._budget = HEAD_LIMIT

    def _next_head(self) -> None:
        self._headers_done = False
        self._status = 0
        self._found = {}
        self._fields = []

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _finish(self, *, keep_alive: bool) -> None:
        waiter, self._waiter = self._waiter, None
        self._stop_timer()
        if waiter is None or waiter.done():
            return
        found = self._found
        body = b"".join(self._body)
        encoding = found.get(b"content-encoding")
        if encoding is not None and body:
            body = _decoded(body, encoding, self._limit)
        retry_after = found.get(b"retry-after")
        location = found.get(b"location")
        response = Response(
            status=self._status,
            body=body,
            retry_after=None if retry_after is None else retry_after.decode("latin-1"),
            location=None if location is None else location.decode("latin-1"),
            fields=self._fields,
        )
        waiter.set_result((response, keep_alive and not self.closed))

    def _fail(self, error: Exception) -> None:
        waiter = self._waiter
        self.abort()  # nothing more is read from a server that broke the protocol
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


def _decoded(body: bytes, encoding: bytes, limit: int) -> bytes:
    """gzip and deflate bodies decoded (no more than `limit` bytes of them); anything
    else, or a body that does not decode, is kept as it came."""
    coding = encoding.strip().lower()
    if coding in (b"gzip", b"x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif coding == b"deflate":
        wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS  # zlib or raw
    else:
        return body
    try:
        return zlib.decompressobj(wbits).decompress(body, limit)
    except zlib.error:
        return body
