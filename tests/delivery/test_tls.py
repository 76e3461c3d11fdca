"""Trust for attempts over TLS: the system store, plus `HOOKLINE_CA_BUNDLE` for
receivers behind a private CA, made in the test. The bundle adds to the system store,
it does not replace it (the "system store" here is one more test CA, given to OpenSSL
through SSL_CERT_FILE, which it reads as the default store)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from hookline.delivery.http_client import HttpSender, SendError
from hookline.delivery.tls import TrustStoreError
from hookline.settings import Settings
from support.certificates import Authority

pytestmark = pytest.mark.both_loops

Serve = Callable[[ssl.SSLContext], Awaitable[str]]


@pytest.fixture
async def serve_tls() -> AsyncIterator[Serve]:
    """A TLS server on 127.0.0.1 answering 200; gives its https URL."""
    servers: list[asyncio.Server] = []

    async def start(context: ssl.SSLContext) -> str:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    await reader.readexactly(length)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=context)
        servers.append(server)
        return f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/in"

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def authorities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Authority, Authority]:
    """(the system's CA, a private CA): the first one is all OpenSSL's default store holds."""
    system = Authority.create(tmp_path, "system root")
    private = Authority.create(tmp_path, "private root")
    monkeypatch.setenv("SSL_CERT_FILE", str(system.cert_path))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))
    return system, private


async def _status(sender: HttpSender, url: str) -> int:
    await sender.start()
    try:
        return (await sender.post(url, body=b"{}", headers={}, timeout=5)).status
    finally:
        await sender.close()


async def test_a_private_ca_is_refused_without_the_bundle(authorities, serve_tls, tmp_path):
    _system, private = authorities
    url = await serve_tls(private.server_context(tmp_path, ips=("127.0.0.1",)))
    with pytest.raises(SendError, match="TLS certificate error"):
        await _status(HttpSender(allow_private_targets=True), url)


async def test_a_private_ca_is_trusted_with_the_bundle(authorities, serve_tls, tmp_path):
    _system, private = authorities
    url = await serve_tls(private.server_context(tmp_path, ips=("127.0.0.1",)))
    sender = HttpSender(allow_private_targets=True, ca_bundle=private.cert_path)
    assert await _status(sender, url) == 200


async def test_the_system_store_is_still_trusted_with_the_bundle_set(
    authorities, serve_tls, tmp_path
):
    system, private = authorities
    public = await serve_tls(system.server_context(tmp_path, ips=("127.0.0.1",)))
    assert await _status(HttpSender(allow_private_targets=True), public) == 200
    with_bundle = HttpSender(allow_private_targets=True, ca_bundle=private.cert_path)
    assert await _status(with_bundle, public) == 200


async def test_a_bundle_that_is_no_pem_stops_the_sender_and_the_settings(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    for path in (junk, tmp_path / "missing.pem"):
        with pytest.raises(TrustStoreError, match="cannot load the CA bundle"):
            HttpSender(allow_private_targets=True, ca_bundle=path)
        with pytest.raises(ValueError, match="cannot load the CA bundle"):
            Settings(ca_bundle=path)
