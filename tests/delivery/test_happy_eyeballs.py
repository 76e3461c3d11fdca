"""Happy Eyeballs (RFC 8305) against real sockets: with a first address that never
answers (its packets dropped by an iptables rule on a second loopback address), the
next address is tried 250 ms after the first began and the attempt is delivered in
well under a second instead of waiting out the timeout."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from hookline.delivery.happy_eyeballs import ATTEMPT_DELAY, connect_first, interleaved
from hookline.delivery.http_client import HttpSender
from hookline.domain.network_policy import IPAddress

SILENT = "127.0.0.2"  # every packet to it is dropped while a test holds `silent_address`
RULE = ["INPUT", "-d", f"{SILENT}/32", "-p", "tcp", "-j", "DROP"]


def _iptables(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["iptables", "-w", "5", *args], capture_output=True, text=True)


@pytest.fixture
def silent_address() -> Iterator[str]:
    """127.0.0.2 with every TCP packet to it dropped: a connect there hangs, as to a
    host that is down. Needs root and iptables (`apt-get install iptables`)."""
    if shutil.which("iptables") is None:
        pytest.skip("iptables is not installed (apt-get install iptables)")
    added = _iptables("-A", *RULE)
    if added.returncode != 0:
        pytest.skip(f"cannot add an iptables rule here: {added.stderr.strip()}")
    try:
        yield SILENT
    finally:
        _iptables("-D", *RULE)


class Answers:
    """A stand-in resolver: every name resolves to `addresses`, in that order."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = [ipaddress.ip_address(a) for a in addresses]

    async def resolve(self, host: str) -> list[IPAddress]:
        return list(self.addresses)


@pytest.fixture
async def listener() -> Iterator[int]:
    """An HTTP answerer on 127.0.0.1 (200 to every request); gives its port."""

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
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


def test_the_families_alternate_the_first_answers_family_first():
    v4a, v4b, v6a, v6b = (ipaddress.ip_address(a) for a in ("1.1.1.1", "1.0.0.1", "::1", "::2"))
    assert interleaved([v6a, v6b, v4a, v4b]) == [v6a, v4a, v6b, v4b]
    assert interleaved([v4a, v6a, v6b]) == [v4a, v6a, v6b]
    assert interleaved([v4a, v4b]) == [v4a, v4b]


@pytest.mark.both_loops
async def test_a_silent_first_address_costs_the_attempt_delay_not_the_timeout(
    silent_address, listener
):
    sender = HttpSender(allow_private_targets=True, resolver=Answers(silent_address, "127.0.0.1"))
    await sender.start()
    try:
        started = time.monotonic()
        resp = await sender.post(
            f"http://hooks.test:{listener}/in", body=b"{}", headers={}, timeout=10
        )
        took = time.monotonic() - started
    finally:
        await sender.close()
    assert resp.status == 200
    assert ATTEMPT_DELAY <= took < 1.0


@pytest.mark.both_loops
async def test_a_refusing_first_address_is_passed_over_at_once(listener):
    # The listener is on 127.0.0.1 alone: 127.0.0.3 refuses that port at once, and the
    # next address is tried then, without waiting for the delay.
    started = time.monotonic()
    sock = await connect_first(
        [ipaddress.ip_address("127.0.0.3"), ipaddress.ip_address("127.0.0.1")], listener
    )
    took = time.monotonic() - started
    assert sock.getpeername() == ("127.0.0.1", listener)
    sock.close()
    assert took < ATTEMPT_DELAY


@pytest.mark.both_loops
async def test_when_every_address_fails_the_error_says_so(listener):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(OSError) as caught:
        await connect_first(
            [ipaddress.ip_address("127.0.0.3"), ipaddress.ip_address("127.0.0.1")], closed
        )
    assert caught.value.errno is not None


async def test_hookline_delivers_past_a_silent_address_in_under_a_second(
    start, receivers, silent_address
):
    rx = await receivers()
    port = rx.url.rsplit(":", 1)[1].split("/", 1)[0]
    hl = await start(resolver=Answers(silent_address, "127.0.0.1"))
    await hl.event_type("order.placed")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, f"http://hooks.test:{port}/hook", ["order.placed"], timeout=30)
    started = time.monotonic()
    msg = await hl.publish(tenant, "order.placed", {"n": 1})
    await rx.wait_for(1, timeout=10)
    assert time.monotonic() - started < 1.0
    final = await hl.wait_final(tenant, msg["id"])
    assert [d["status"] for d in final["delivery_statuses"]] == ["delivered"]
    assert rx.requests[0].headers["host"] == f"hooks.test:{port}"
