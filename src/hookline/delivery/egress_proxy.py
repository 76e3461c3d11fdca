"""An HTTP CONNECT proxy for every attempt (`HOOKLINE_EGRESS_PROXY`), for deployments
that route their outbound traffic through one (smokescreen, squid, …).

The network policy still judges the target first: the client resolves the endpoint's
host and checks its addresses itself (`resolver.AddressBook`), then asks the proxy for
a tunnel to that checked address, never to the name, so neither the proxy's DNS nor a
rebinding answer can steer the request elsewhere. Inside the tunnel the request is the
same as without a proxy: the Host header and the TLS server name stay the endpoint's
host name. The proxy itself is the operator's and is not judged by the policy.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

from hookline.delivery.happy_eyeballs import connect_first, interleaved
from hookline.delivery.resolver import AddressBook, SystemResolver
from hookline.domain.egress_proxy_url import EgressProxy
from hookline.domain.network_policy import IPAddress
from hookline.domain.stored_text import bounded

__all__ = ["EgressProxy", "ProxyConnector", "ProxyError"]

ANSWER_LIMIT = 16 * 1024  # a proxy's answer to CONNECT is a status line and a few fields
_UNREACHABLE = (502, 503, 504)  # the proxy could not reach that address: try the next


class ProxyError(OSError):
    """The proxy did not open the tunnel; the message says what it answered."""


class _Unreachable(ProxyError):
    """The proxy answered that it could not reach the address asked for."""


class ProxyConnector:
    """Opens tunnels through one proxy. The proxy's own name is looked up by the
    system's resolver (answers kept briefly), never judged by the policy."""

    def __init__(self, proxy: EgressProxy) -> None:
        self.proxy = proxy
        self._addresses = AddressBook(SystemResolver(), allow_private=True)

    async def tunnel(self, addresses: Sequence[IPAddress], port: int) -> socket.socket:
        """A socket through which the connection to one of `addresses` (checked by the
        policy) is carried, tried in turn while the proxy says it cannot reach one."""
        order = interleaved(addresses)
        for i, ip in enumerate(order):
            try:
                return await self._open(ip, port)
            except _Unreachable as exc:
                if i == len(order) - 1:
                    raise ProxyError(str(exc)) from None
        raise ProxyError("no address to ask the egress proxy for")

    async def _open(self, ip: IPAddress, port: int) -> socket.socket:
        proxy = self.proxy
        try:
            proxy_addresses = await self._addresses.resolve(proxy.host)
            sock = await connect_first(proxy_addresses, proxy.port)
        except OSError as exc:
            raise ProxyError(f"egress proxy {proxy.host}:{proxy.port} unreachable: {exc}") from exc
        try:
            await _ask(sock, ip, port, proxy.authorization)
        except BaseException:
            sock.close()
            raise
        return sock


async def _ask(sock: socket.socket, ip: IPAddress, port: int, authorization: str | None) -> None:
    loop = asyncio.get_running_loop()
    authority = f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
    head = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
    if authorization is not None:
        head += f"Proxy-Authorization: {authorization}\r\n"
    await loop.sock_sendall(sock, (head + "\r\n").encode("ascii"))
    answer = b""
    while b"\r\n\r\n" not in answer:
        if len(answer) > ANSWER_LIMIT:
            raise ProxyError(f"the egress proxy's answer to CONNECT is over {ANSWER_LIMIT} bytes")
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            raise ProxyError("the egress proxy closed the connection without answering CONNECT")
        answer += chunk
    head_bytes, rest = answer.split(b"\r\n\r\n", 1)
    status_line = head_bytes.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    if not (parts[0].startswith("HTTP/1.") and 200 <= status < 300):
        message = bounded(f"egress proxy refused CONNECT {authority}: {status_line}", 512)
        raise (_Unreachable if status in _UNREACHABLE else ProxyError)(message)
    if rest:  # the target speaks only once asked; bytes now came from the proxy itself
        raise ProxyError("the egress proxy sent bytes after its answer to CONNECT")
