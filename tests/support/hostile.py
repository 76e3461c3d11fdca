"""Hostile receivers on raw asyncio sockets, one behaviour per path: what an attacker
registering an endpoint could answer. Each one reads a request, then misbehaves.

In a test's own loop: `server = await HostileServer().start()` and `server.url(name)`.
As a process of its own (so that its buffers are not counted in the memory of the
process under test): `python tests/support/hostile.py` prints `PORT <n>` and serves
until stdin closes.

Each behaviour stops by itself after at most `MAX_BYTES` or `MAX_SECONDS`, so a client
without limits gets a bounded amount of trouble instead of a hung test.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 32 * 1024 * 1024
MAX_SECONDS = 8.0
CHUNK = b"a" * 65536

Behaviour = Callable[[asyncio.StreamWriter], Awaitable[None]]


async def _endless(writer: asyncio.StreamWriter, head: bytes, piece: bytes) -> None:
    """`head`, then `piece` again and again until the client goes or a bound is met."""
    writer.write(head)
    sent, started = len(head), time.monotonic()
    while sent < MAX_BYTES and time.monotonic() - started < MAX_SECONDS:
        writer.write(piece)
        sent += len(piece)
        await writer.drain()


async def endless_header_line(writer: asyncio.StreamWriter) -> None:
    await _endless(writer, b"HTTP/1.1 200 OK\r\nX-Endless: ", CHUNK)


async def slow_header_line(writer: asyncio.StreamWriter) -> None:
    """A header line of 1 KiB more every 5 ms: slowloris that never ends its head."""
    writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    started = time.monotonic()
    while time.monotonic() - started < MAX_SECONDS:
        writer.write(CHUNK[:1024])
        await writer.drain()
        await asyncio.sleep(0.005)


async def many_headers(writer: asyncio.StreamWriter) -> None:
    fields = b"".join(b"X-Field-%d: v\r\n" % i for i in range(10_000))
    writer.write(b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 0\r\n\r\n")
    await writer.drain()


async def interim_loop(writer: asyncio.StreamWriter) -> None:
    await _endless(writer, b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 1000)


async def huge_location(writer: asyncio.StreamWriter) -> None:
    """A redirect whose Location is 60,000 bytes: within the head limit, too long to store."""
    location = b"https://elsewhere.example/" + b"x" * (60_000 - 26)
    writer.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def huge_location_4mib(writer: asyncio.StreamWriter) -> None:
    location = b"https://elsewhere.example/" + b"x" * (4 * 1024 * 1024)
    writer.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def huge_error(writer: asyncio.StreamWriter) -> None:
    """A 500 with a 50,000-byte reason phrase and a body that goes on for 32 MiB."""
    head = b"HTTP/1.1 500 " + b"E" * 50_000 + b"\r\nContent-Length: %d\r\n\r\n" % MAX_BYTES
    await _endless(writer, head, CHUNK)


async def endless_trailer(writer: asyncio.StreamWriter) -> None:
    """A chunked body of two bytes, then a trailer field that never ends."""
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: "
    await _endless(writer, head, CHUNK)


BEHAVIOURS: dict[str, Behaviour] = {
    "endless-header-line": endless_header_line,
    "slow-header-line": slow_header_line,
    "many-headers": many_headers,
    "interim-loop": interim_loop,
    "huge-location": huge_location,
    "huge-location-4mib": huge_location_4mib,
    "huge-error": huge_error,
    "endless-trailer": endless_trailer,
}


@dataclass
class Ended:
    behaviour: str
    seconds: float  # from the request's arrival to the connection's end
    dropped: bool  # the client hung up (reset or EOF) before the behaviour was done


@dataclass
class HostileServer:
    host: str = "127.0.0.1"
    port: int = 0
    ended: list[Ended] = field(default_factory=list)
    _server: asyncio.Server | None = None

    def url(self, behaviour: str) -> str:
        return f"http://{self.host}:{self.port}/{behaviour}"

    async def start(self) -> HostileServer:
        self._server = await asyncio.start_server(self._on_connect, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                name = head.split(b" ", 2)[1].decode("latin-1").strip("/").split("?")[0]
                behaviour = BEHAVIOURS.get(name)
                if behaviour is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    continue
                started = time.monotonic()
                try:
                    await behaviour(writer)
                except ConnectionError:
                    self.ended.append(Ended(name, time.monotonic() - started, dropped=True))
                    return
                self.ended.append(Ended(name, time.monotonic() - started, dropped=False))
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


class HostileProcess:
    """The same behaviours served by a process of their own."""

    def __init__(self) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, str(Path(__file__))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()  # the child prints it once it listens
        if not line.startswith("PORT "):
            self.stop()
            raise AssertionError(f"the hostile receiver did not start: {line!r}")
        self.port = int(line.split()[1])

    def url(self, behaviour: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{behaviour}"

    def stop(self) -> None:
        if self.popen.stdin is not None:
            self.popen.stdin.close()
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


async def _main() -> None:
    server = await HostileServer().start()
    print(f"PORT {server.port}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin
    await server.stop()


if __name__ == "__main__":
    asyncio.run(_main())
