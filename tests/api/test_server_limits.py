"""The API bounds its clients, against the real `hookline serve` in a subprocess: a
request head over 64 KiB gets a 431 problem+json (and costs the server no memory), a
connection whose request head is not complete within 10 s is closed, and 1,000
half-open connections leave a normal client's publishes quick."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from hookline.api.server_limits import HEAD_LIMIT, HEAD_TIMEOUT
from support.process import Proc, free_port, hookline_env, wait_ready

ADMIN = "server-limits-admin-key-0123456789"


class Serve:
    def __init__(self, proc: Proc, port: int) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.popen.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1])

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port, limit=1024 * 1024)


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Serve]:
    port = free_port()
    env = hookline_env(
        f"sqlite:///{tmp_path}/hookline.db", HOOKLINE_ADMIN_KEY=ADMIN, HOOKLINE_API_RATE_LIMIT="0"
    )
    proc = Proc(["serve", "--dev", "--port", str(port)], env, tmp_path / "serve.log", tmp_path)
    try:
        await wait_ready(f"http://127.0.0.1:{port}", proc)
        yield Serve(proc, port)
    finally:
        assert proc.terminate() == 0, proc.output()
    assert "Traceback" not in proc.output()


async def _answer(reader: asyncio.StreamReader, timeout: float = 5) -> tuple[int, bytes]:
    """Status and body of the one answer on a connection the server then closes."""
    raw = await asyncio.wait_for(reader.read(), timeout)
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _head(extra: int) -> bytes:
    """A GET /healthz head with a header line of `extra` bytes."""
    return b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * extra + b"\r\n\r\n"


async def test_a_request_head_over_64_kib_gets_431(serve):
    reader, writer = await serve.connect()
    writer.write(_head(HEAD_LIMIT))
    status, body = await _answer(reader)
    writer.close()
    assert status == 431
    problem = orjson.loads(body)
    assert problem["status"] == 431
    assert problem["title"] == "Request head too large"
    assert "64 KiB" in problem["detail"]

    # Just under the limit is an ordinary request; so is httpx's, and its 431 is clean.
    reader, writer = await serve.connect()
    writer.write(_head(HEAD_LIMIT - 200))
    line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert line.startswith(b"HTTP/1.1 200")
    async with httpx.AsyncClient(base_url=serve.url) as client:
        resp = await client.get("/healthz", headers={"X-Big": "b" * (2 * HEAD_LIMIT)})
        assert resp.status_code == 431
        assert resp.headers["content-type"] == "application/problem+json"
        assert (await client.get("/healthz")).status_code == 200


async def test_a_50_mib_header_line_is_refused_without_being_read(serve):
    before = serve.rss_kib()
    reader, writer = await serve.connect()
    started = time.monotonic()
    writer.write(b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nX-Huge: ")
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < 50 * 1024 * 1024 and not reader.at_eof():
            writer.write(b"h" * 65536)
            sent += 65536
            await asyncio.wait_for(writer.drain(), 5)
            if reader._buffer:  # type: ignore[attr-defined]  (the answer came)
                break
    status, _ = await _answer(reader)
    writer.close()
    assert status == 431
    assert time.monotonic() - started < 3
    assert serve.rss_kib() - before < 10 * 1024, "the server held the header line"


async def test_a_request_head_not_complete_within_10_s_is_closed(serve):
    async def closed_after(first: bytes, trickle: bytes = b"") -> tuple[float, bytes]:
        """Seconds until the server closed the connection (inf: not within 15 s), and
        what it sent before; `trickle` is sent again every half second meanwhile."""
        reader, writer = await serve.connect()
        started = time.monotonic()
        writer.write(first)
        got = b""
        try:
            while time.monotonic() - started < HEAD_TIMEOUT + 5:
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), 0.5)
                except TimeoutError:
                    if trickle:
                        writer.write(trickle)
                    continue
                if not chunk:
                    return time.monotonic() - started, got
                got += chunk
        except ConnectionError:
            return time.monotonic() - started, got
        finally:
            writer.close()
        return float("inf"), got

    async def keep_alive_then_stall() -> tuple[float, bytes]:
        reader, writer = await serve.connect()
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(1)  # within uvicorn's keep-alive timeout (5 s)
        writer.close()
        return await closed_after(b"GET /healthz HTTP/1.1\r\nHo")

    silent, partial, trickling, stalled = await asyncio.gather(
        closed_after(b""),
        closed_after(b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\n"),
        closed_after(b"GET /healthz HTTP/1.1\r\nX-Slow: ", trickle=b"s"),  # a byte each 0.5 s
        keep_alive_then_stall(),
    )
    for took, got in (silent, partial, trickling, stalled):
        assert HEAD_TIMEOUT - 0.5 <= took < HEAD_TIMEOUT + 2, (took, got)
        assert got == b"" or got.startswith(b"HTTP/1.1 408 Request Timeout"), got
    # The connection with an answer pending and a whole head is another matter: it lives.
    async with httpx.AsyncClient(base_url=serve.url) as client:
        assert (await client.get("/healthz")).status_code == 200


async def test_a_thousand_half_open_connections_leave_publishing_quick(serve):
    async with httpx.AsyncClient(
        base_url=serve.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10
    ) as client:
        assert (await client.post("/v1/event-types", json={"name": "order.placed"})).is_success
        tenant = (await client.post("/v1/tenants", json={"name": "Acme"})).json()["id"]
        path = f"/v1/tenants/{tenant}/messages"

        half_open = []
        for i in range(1000):
            reader, writer = await serve.connect()
            if i % 2:  # half send a head that never ends, half nothing at all
                writer.write(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: app" % path.encode())
            half_open.append((reader, writer))
        opened = time.monotonic()

        latencies = []
        for n in range(300):
            started = time.perf_counter()
            resp = await client.post(path, json={"event_type": "order.placed", "payload": {"n": n}})
            latencies.append(time.perf_counter() - started)
            assert resp.status_code == 202, resp.text
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        assert p99 < 0.050, f"publish p99 {p99 * 1000:.1f} ms beside 1,000 half-open connections"

        async def ended(reader: asyncio.StreamReader) -> bool:
            try:
                while await reader.read(65536):
                    pass
            except ConnectionError:
                pass
            return True

        wait = max(0.0, opened + HEAD_TIMEOUT + 3 - time.monotonic())
        results = await asyncio.wait_for(
            asyncio.gather(*(ended(r) for r, _ in half_open)), wait + 5
        )
        assert all(results)
        assert time.monotonic() - opened >= HEAD_TIMEOUT - 1  # closed by the head timeout
        for _, writer in half_open:
            writer.close()
        # And the server is as it was.
        assert (await client.get("/healthz")).status_code == 200
