"""The delivery client against real servers on loopback, scripted byte by byte: what it
sends, how it reads every shape of answer, when it keeps, drops or re-opens a
connection, and how each failure reads. Every test runs on asyncio's loop and uvloop's.
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hookline.delivery.http_client import READ_LIMIT, HttpSender, SendError
from hookline.domain.network_policy import IPAddress

Handler = Callable[["Server", asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


pytestmark = pytest.mark.both_loops


@dataclass
class Server:
    port: int
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)  # head and body, as they came
    closed_by_client: int = 0

    def url(self, path: str = "/in", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One whole request (head and a Content-Length body), or None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    servers: list[asyncio.Server] = []

    async def start(
        handler: Handler, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> Server:
        state = Server(port=0)

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            state.connections += 1
            number = state.connections
            try:
                await handler(state, reader, writer, number)
                if reader.at_eof():
                    state.closed_by_client += 1
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, host, 0, ssl=tls)
        servers.append(server)
        state.port = server.sockets[0].getsockname()[1]
        return state

    yield start
    for server in servers:
        server.close()


def answering(*answers: bytes) -> Handler:
    """Answers each request on a connection with the next of `answers` (the last one
    repeats), keeping the connection open until the client closes it."""

    async def handler(
        server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int
    ) -> None:
        i = 0
        while (request := await read_request(reader)) is not None:
            server.requests.append(request)
            writer.write(answers[min(i, len(answers) - 1)])
            await writer.drain()
            i += 1

    return handler


async def started(serve: Callable[..., Awaitable[Server]], *answers: bytes) -> Server:
    return await serve(answering(*answers))


@pytest.fixture
async def sender() -> AsyncIterator[HttpSender]:
    sender = HttpSender(allow_private_targets=True)
    await sender.start()
    yield sender
    await sender.close()


async def post(sender: HttpSender, url: str, timeout: float = 5.0, **headers: str):  # type: ignore[no-untyped-def]
    return await sender.post(url, body=b'{"n":1}', headers=headers, timeout=timeout)


# -- what is sent ----------------------------------------------------------------------


async def test_it_posts_the_body_with_the_head_it_was_given(serve, sender):
    server = await started(serve, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthank")
    resp = await post(sender, server.url("/in/é x?a=1&b=ü"), **{"webhook-id": "msg_1"})
    assert resp.status == 200
    assert resp.body == b"thank"
    (request,) = server.requests
    head, body = request.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /in/%C3%A9%20x?a=1&b=%C3%BC HTTP/1.1"
    assert f"Host: 127.0.0.1:{server.port}".encode() in lines
    assert b"webhook-id: msg_1" in lines
    assert b"Content-Length: 7" in lines
    assert body == b'{"n":1}'


async def test_a_header_that_would_break_the_head_is_refused_before_connecting(serve, sender):
    server = await started(serve, OK)
    for name, value in [("x-a", "1\r\nx-b: 2"), ("x-a\n", "1"), ("x-a", "1\x00")]:
        with pytest.raises(SendError, match="line break or NUL"):
            await sender.post(server.url(), body=b"{}", headers={name: value}, timeout=5)
    assert server.connections == 0


async def test_a_name_is_resolved_by_the_resolver_and_sent_as_the_host(serve):
    server = await started(serve, OK)

    class Hosts:
        def __init__(self) -> None:
            self.asked: list[str] = []

        async def resolve(self, host: str) -> list[IPAddress]:
            self.asked.append(host)
            if host == "hooks.example":
                return [ipaddress.ip_address("127.0.0.1")]
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    hosts = Hosts()
    sender = HttpSender(allow_private_targets=True, resolver=hosts)
    await sender.start()
    try:
        resp = await post(sender, f"http://Hooks.Example.:{server.port}/in")
        assert resp.status == 200
        assert f"Host: hooks.example:{server.port}".encode() in server.requests[0]
        with pytest.raises(SendError, match="DNS lookup failed"):
            await post(sender, f"http://nowhere.example:{server.port}/in")
    finally:
        await sender.close()
    assert hosts.asked == ["hooks.example", "nowhere.example"]


async def test_ipv6_loopback(serve, sender):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = await serve(answering(OK), host="::1")
    except OSError:
        pytest.skip("::1 cannot be bound here")
    resp = await post(sender, f"http://[::1]:{server.port}/in")
    assert resp.status == 200
    assert f"Host: [::1]:{server.port}".encode() in server.requests[0]


# -- how answers are read --------------------------------------------------------------


async def test_retry_after_and_location_come_back_with_any_status(serve, sender):
    server = await started(
        serve,
        b"HTTP/1.1 503 Busy\r\nretry-after: 120\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLOCATION: http://elsewhere/\r\nContent-Length: 0\r\n\r\n",
    )
    busy = await post(sender, server.url())
    moved = await post(sender, server.url())
    assert (busy.status, busy.retry_after, busy.location) == (503, "120", None)
    assert (moved.status, moved.retry_after, moved.location) == (302, None, "http://elsewhere/")
    assert server.connections == 1  # both on one kept-alive connection


async def test_chunked_gzip_and_interim_answers_are_read(serve, sender):
    packed = gzip.compress(b"all good")
    server = await started(
        serve,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nall\r\n5\r\n good\r\n0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nhi",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%b"
        % (len(packed), packed),
    )
    assert (await post(sender, server.url())).body == b"all good"
    interim = await post(sender, server.url())
    assert (interim.status, interim.body) == (201, b"hi")
    assert (await post(sender, server.url())).body == b"all good"
    assert server.connections == 1


async def test_a_body_that_runs_to_the_close_is_whole_at_the_close(serve, sender):
    async def handler(_server, reader, writer, _n):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        await writer.drain()

    server = await serve(handler)
    for _ in range(2):
        resp = await post(sender, server.url())
        assert (resp.status, resp.body) == (200, b"until the end")
    assert server.connections == 2  # never reused


async def test_a_long_body_is_cut_at_the_read_limit_and_its_connection_dropped(serve, sender):
    size = READ_LIMIT * 3
    server = await started(
        serve, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (size, b"x" * size)
    )
    for _ in range(2):
        resp = await post(sender, server.url())
        assert resp.status == 200
        assert resp.body == b"x" * READ_LIMIT
    assert server.connections == 2


async def test_an_answer_that_is_not_http_fails_the_attempt(serve, sender):
    server = await started(serve, b"SMTP ready\r\n\r\n")
    with pytest.raises(SendError, match="invalid HTTP response"):
        await post(sender, server.url())


# -- connections -----------------------------------------------------------------------


async def test_a_connection_the_server_closed_while_idle_is_not_used(serve, sender):
    async def handler(_server, reader, writer, _n):
        await read_request(reader)
        writer.write(OK)  # says keep-alive, then hangs up
        await writer.drain()

    server = await serve(handler)
    for _ in range(3):
        assert (await post(sender, server.url())).status == 200
        await asyncio.sleep(0.05)  # the close reaches the client
    assert server.connections == 3


async def test_a_kept_alive_connection_closed_as_the_request_went_out_is_tried_once_more(
    serve, sender
):
    seen: list[int] = []

    async def handler(_server, reader, writer, n):
        while (await read_request(reader)) is not None:
            seen.append(n)
            if n == 1 and len(seen) == 2:
                return  # reads the second request, closes without a word
            writer.write(OK)
            await writer.drain()

    server = await serve(handler)
    assert (await post(sender, server.url())).status == 200
    assert (await post(sender, server.url())).status == 200
    assert seen == [1, 1, 2]  # the second request, once more on a new connection
    assert server.connections == 2


async def test_a_new_connection_closed_without_an_answer_is_a_failed_attempt(serve, sender):
    async def handler(_server, reader, writer, _n):
        await read_request(reader)

    server = await serve(handler)
    with pytest.raises(SendError, match="server closed the connection without answering"):
        await post(sender, server.url())
    assert server.connections == 1  # not tried again: nothing told it the server was stale


async def test_no_answer_within_the_timeout_times_out_and_drops_the_connection(serve, sender):
    gone = asyncio.Event()

    async def handler(_server, reader, writer, _n):
        await read_request(reader)
        await reader.read()  # until the client gives up
        gone.set()

    server = await serve(handler)
    loop = asyncio.get_running_loop()
    started_at = loop.time()
    with pytest.raises(SendError) as caught:
        await post(sender, server.url(), timeout=0.3)
    assert caught.value.timed_out
    assert str(caught.value) == "timed out after 0.3s"
    assert 0.25 < loop.time() - started_at < 2
    await asyncio.wait_for(gone.wait(), 5)


async def test_nothing_listening_is_a_connection_failure(sender):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SendError, match="connection failed") as caught:
        await post(sender, f"http://127.0.0.1:{port}/in")
    assert not caught.value.refused
    assert not caught.value.timed_out


async def test_close_hangs_up_idle_connections(serve):
    server = await started(serve, OK)
    sender = HttpSender(allow_private_targets=True)
    await sender.start()
    await post(sender, server.url())
    await sender.close()
    for _ in range(100):
        if server.closed_by_client:
            break
        await asyncio.sleep(0.02)
    assert server.closed_by_client == 1
    with pytest.raises(RuntimeError, match="start"):
        await post(sender, server.url())


async def test_many_posts_at_once_share_a_bounded_pool(serve):
    server = await started(serve, OK)
    sender = HttpSender(allow_private_targets=True, max_connections=8)
    await sender.start()
    try:
        for _ in range(3):
            # Pooling, not speed, is the point: a loaded machine may take its time.
            results = await asyncio.gather(
                *[post(sender, server.url(), timeout=30) for _ in range(40)]
            )
            assert {r.status for r in results} == {200}
    finally:
        await sender.close()
    assert len(server.requests) == 120
    # Each round of 40 at once reuses the 8 the last one kept and opens 32 more.
    assert server.connections == 40 + 32 + 32


# -- TLS -------------------------------------------------------------------------------


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hookline test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_tls_is_verified_against_the_trust_store(serve, tmp_path, monkeypatch):
    cert_path, key_path = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = await serve(answering(OK), tls=context)
    url = f"https://127.0.0.1:{server.port}/in"

    untrusting = HttpSender(allow_private_targets=True)
    await untrusting.start()
    try:
        with pytest.raises(SendError, match="TLS certificate error"):
            await post(untrusting, url)
    finally:
        await untrusting.close()

    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # read when the context is made
    trusting = HttpSender(allow_private_targets=True)
    await trusting.start()
    try:
        for _ in range(2):
            assert (await post(trusting, url)).status == 200
    finally:
        await trusting.close()
    assert server.connections == 1  # one kept alive (a refused handshake never gets this far)
