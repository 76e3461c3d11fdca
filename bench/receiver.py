"""The benchmark's receiver: a raw asyncio Protocol with the httptools parser on uvloop,
run as its own process (`python -m bench.receiver`), answering every POST 200 with an
empty body and keep-alive, as fast as Python can.

It records, per `webhook-id`, the `time.time()` its first request completed, so the
benchmark can compute publish-accepted → receipt latency, and counts every request and
every distinct (path, webhook-id) pair (fan-out delivers one message to many paths).

Control endpoints, on the same port, under `/_bench/`:

- `GET /_bench/stats`: counts, first and last receipt time, bytes received;
- `GET /_bench/receipts`: `{"receipts": {webhook_id: time}}`;
- `POST /_bench/reset`: forget everything.

With `--hang` it reads requests and never answers them (the noisy neighbour's dead
endpoint); its control endpoints still answer. The port it bound is printed on stdout as
`PORT <n>` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from typing import cast

import httptools
import orjson

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
OK_CLOSE = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
CONTROL_PREFIX = b"/_bench/"


class Tally:
    """What the receiver got since the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.bytes = 0
        self.first = 0.0
        self.last = 0.0
        self.receipts: dict[bytes, float] = {}
        self.deliveries: set[bytes] = set()
        self.duplicates = 0
        self.without_id = 0

    def record(self, path: bytes, webhook_id: bytes | None, size: int, now: float) -> None:
        self.requests += 1
        self.bytes += size
        if not self.first:
            self.first = now
        self.last = now
        if webhook_id is None:
            self.without_id += 1
            return
        key = path + b" " + webhook_id
        if key in self.deliveries:
            self.duplicates += 1
            return
        self.deliveries.add(key)
        self.receipts.setdefault(webhook_id, now)

    def stats(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "bytes": self.bytes,
            "first": self.first,
            "last": self.last,
            "messages": len(self.receipts),
            "deliveries": len(self.deliveries),
            "duplicates": self.duplicates,
            "without_id": self.without_id,
        }


class HttpProtocol(asyncio.Protocol):
    """One connection: parse requests with httptools, answer each at once (or never)."""

    __slots__ = ("_body_size", "_id", "_parser", "_tally", "_transport", "_url", "hang")

    def __init__(self, tally: Tally, *, hang: bool) -> None:
        self._tally = tally
        self.hang = hang
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._id: bytes | None = None
        self._body_size = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._transport is not None:
                self._transport.close()

    # httptools callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._id = None
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 10 and name.lower() == b"webhook-id":
            self._id = value

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)

    def on_message_complete(self) -> None:
        now = time.time()
        transport = self._transport
        if transport is None:
            return
        if self._url.startswith(CONTROL_PREFIX):
            transport.write(self._control(self._url[len(CONTROL_PREFIX) :]))
            return
        self._tally.record(self._url, self._id, self._body_size, now)
        if self.hang:
            return
        if self._parser.should_keep_alive():
            transport.write(OK)
        else:
            transport.write(OK_CLOSE)
            transport.close()

    def _control(self, what: bytes) -> bytes:
        what = what.split(b"?", 1)[0]
        if what == b"stats":
            body = orjson.dumps(self._tally.stats())
        elif what == b"receipts":
            receipts = {k.decode(): v for k, v in self._tally.receipts.items()}
            body = orjson.dumps({"receipts": receipts})
        elif what == b"reset":
            self._tally.reset()
            body = b"{}"
        else:
            return b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
        head = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
        )
        return head + body


async def serve(port: int, *, hang: bool) -> None:
    loop = asyncio.get_running_loop()
    tally = Tally()
    server = await loop.create_server(
        lambda: HttpProtocol(tally, hang=hang), "127.0.0.1", port, backlog=4096
    )
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        # No wait_closed(): a hanging receiver's connections would hold it open.
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.receiver")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hang", action="store_true", help="read requests, never answer")
    args = parser.parse_args(argv)
    import uvloop

    uvloop.run(serve(args.port, hang=args.hang))


if __name__ == "__main__":
    main()
