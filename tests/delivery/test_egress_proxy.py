"""Attempts through an HTTP CONNECT proxy (`HOOKLINE_EGRESS_PROXY`), a small one on
loopback: the tunnel is asked for the address the network policy checked, never the
name; Host and the TLS server name stay the endpoint's; a refused target is never
asked of the proxy at all."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hookline.delivery.egress_proxy import EgressProxy
from hookline.delivery.http_client import HttpSender, SendError
from hookline.domain.network_policy import IPAddress
from hookline.settings import Settings
from support.certificates import Authority
from support.connect_proxy import ConnectProxy

pytestmark = pytest.mark.both_loops


class Answers:
    """A stand-in resolver: `name` resolves to `addresses`, other names to nothing."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records

    async def resolve(self, host: str) -> list[IPAddress]:
        if host not in self.records:
            raise OSError(f"{host} does not resolve")
        return [ipaddress.ip_address(a) for a in self.records[host]]


@pytest.fixture
async def proxy() -> AsyncIterator[ConnectProxy]:
    p = await ConnectProxy().start()
    yield p
    await p.stop()


class Seen:
    def __init__(self) -> None:
        self.heads: list[bytes] = []


@pytest.fixture
async def target() -> AsyncIterator[tuple[Seen, int]]:
    """A plain HTTP receiver on 127.0.0.1 that keeps each request head; (seen, port)."""
    seen = Seen()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                seen.heads.append(head)
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

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    yield seen, server.sockets[0].getsockname()[1]
    server.close()


async def _post(sender: HttpSender, url: str) -> int:
    await sender.start()
    try:
        return (await sender.post(url, body=b"{}", headers={}, timeout=5)).status
    finally:
        await sender.close()


async def test_the_tunnel_is_to_the_checked_address_and_host_stays_the_name(proxy, target):
    seen, port = target
    sender = HttpSender(
        allow_private_targets=True,
        resolver=Answers({"hooks.test": ["127.0.0.1"]}),
        egress_proxy=proxy.url,
    )
    assert await _post(sender, f"http://hooks.test:{port}/in") == 200
    assert proxy.asked == [f"127.0.0.1:{port}"]
    assert proxy.heads[0].startswith(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n".encode())
    assert f"Host: hooks.test:{port}".encode() in seen.heads[0]


async def test_tls_through_the_tunnel_names_the_endpoint_host(proxy, tmp_path: Path):
    ca = Authority.create(tmp_path, "private root")
    context = ca.server_context(tmp_path, names=("hooks.test",))
    names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    heads: list[bytes] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            heads.append(head)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        sender = HttpSender(
            allow_private_targets=True,
            resolver=Answers({"hooks.test": ["127.0.0.1"]}),
            egress_proxy=proxy.url,
            ca_bundle=ca.cert_path,
        )
        assert await _post(sender, f"https://hooks.test:{port}/in") == 200
    finally:
        server.close()
    assert proxy.asked == [f"127.0.0.1:{port}"]
    assert names == ["hooks.test"]  # the certificate was checked for the name, not the IP
    assert f"Host: hooks.test:{port}".encode() in heads[0]


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::ffff:10.0.0.1", "100.64.3.4"]
)
async def test_a_target_the_policy_refuses_is_never_asked_of_the_proxy(proxy, address):
    sender = HttpSender(
        allow_private_targets=False,
        resolver=Answers({"hooks.test": [address]}),
        egress_proxy=proxy.url,
    )
    with pytest.raises(SendError, match="destination refused by network policy") as caught:
        await _post(sender, "https://hooks.test/in")
    assert caught.value.refused
    with pytest.raises(SendError, match="destination refused by network policy"):
        await _post(sender, f"https://{address if ':' not in address else f'[{address}]'}/in")
    assert proxy.connections == 0


async def test_a_proxy_that_refuses_fails_the_attempt_with_its_answer(proxy, target):
    _seen, port = target
    proxy.refuse[f"127.0.0.1:{port}"] = b"HTTP/1.1 403 Forbidden by egress ACL"
    sender = HttpSender(allow_private_targets=True, egress_proxy=proxy.url)
    with pytest.raises(SendError) as caught:
        await _post(sender, f"http://127.0.0.1:{port}/in")
    assert str(caught.value) == (
        f"connection failed: egress proxy refused CONNECT 127.0.0.1:{port}: "
        "HTTP/1.1 403 Forbidden by egress ACL"
    )


async def test_an_address_the_proxy_cannot_reach_is_followed_by_the_next(proxy, target):
    seen, port = target
    proxy.refuse[f"127.0.0.9:{port}"] = b"HTTP/1.1 502 Bad Gateway"
    sender = HttpSender(
        allow_private_targets=True,
        resolver=Answers({"hooks.test": ["127.0.0.9", "127.0.0.1"]}),
        egress_proxy=proxy.url,
    )
    assert await _post(sender, f"http://hooks.test:{port}/in") == 200
    assert proxy.asked == [f"127.0.0.9:{port}", f"127.0.0.1:{port}"]
    assert len(seen.heads) == 1


async def test_credentials_in_the_proxy_url_are_sent_to_the_proxy_alone(proxy, target):
    seen, port = target
    url = proxy.url.replace("http://", "http://hook%40line:s3cr%3At@")
    sender = HttpSender(allow_private_targets=True, egress_proxy=url)
    assert await _post(sender, f"http://127.0.0.1:{port}/in") == 200
    token = base64.b64encode(b"hook@line:s3cr:t").decode()
    assert f"Proxy-Authorization: Basic {token}".encode() in proxy.heads[0]
    assert b"Proxy-Authorization" not in seen.heads[0]


@pytest.mark.parametrize(
    "url", ["https://proxy:3128", "socks5://proxy:1080", "http://proxy:3128/path", "http://:3128"]
)
def test_a_proxy_setting_that_is_not_http_host_port_is_refused(url):
    with pytest.raises(ValueError, match="egress proxy"):
        EgressProxy.parse(url)
    with pytest.raises(ValueError, match="egress proxy"):
        Settings(egress_proxy=url)


async def test_hookline_delivers_through_the_proxy_of_its_settings(start, receivers, proxy):
    rx = await receivers()
    port = rx.url.rsplit(":", 1)[1].split("/", 1)[0]
    hl = await start(egress_proxy=proxy.url, resolver=Answers({"hooks.test": ["127.0.0.1"]}))
    await hl.event_type("order.placed")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, f"http://hooks.test:{port}/hook", ["order.placed"])
    msg = await hl.publish(tenant, "order.placed", {"n": 1})
    final = await hl.wait_final(tenant, msg["id"])
    assert [d["status"] for d in final["delivery_statuses"]] == ["delivered"]
    assert proxy.asked == [f"127.0.0.1:{port}"]
    assert rx.requests[0].headers["host"] == f"hooks.test:{port}"
