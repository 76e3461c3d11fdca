"""Where the delivery client may connect: the addresses of a host, judged by the network
policy at every resolution.

The client connects only to addresses `AddressBook.resolve` returned, and it returns
none unless every A/AAAA answer passes the policy: the address connected to is one
checked in that same resolution, so there is no window for DNS rebinding. IP literals,
in every spelling the C library accepts, are judged without asking DNS.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time

from hookline.domain.network_policy import HostResolver, IPAddress, ip_literal, refusal

REFUSED_MESSAGE = "destination refused by network policy"
DNS_CACHE_SECONDS = 10.0
DNS_CACHE_SIZE = 4096


class RefusedDestination(OSError):
    """Raised for a host whose addresses the network policy does not allow."""

    def __init__(self, host: str, address: str, rule: str) -> None:
        super().__init__(f"{REFUSED_MESSAGE}: {host} resolves to {address} ({rule})")
        self.host = host
        self.address = address
        self.rule = rule


class SystemResolver:
    """The operating system's resolver; every A and AAAA answer, not only usable ones."""

    async def resolve(self, host: str) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, None, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM
        )
        found: dict[IPAddress, None] = {}
        for _family, _type, _proto, _canon, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]
            found[ipaddress.ip_address(address)] = None
        return list(found)


class AddressBook:
    """Answers the addresses to connect to for a host (a name or a literal), refusing
    the host outright if any one answer breaks the policy (unless private targets are
    allowed). Answers for names are kept `DNS_CACHE_SECONDS`."""

    def __init__(self, resolver: HostResolver, *, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._cache: dict[str, tuple[float, list[IPAddress]]] = {}

    async def resolve(self, host: str) -> list[IPAddress]:
        """Raises RefusedDestination, or OSError when the name does not resolve."""
        literal = ip_literal(host)
        if literal is not None:
            self._judge(host, [literal])
            return [literal]
        now = time.monotonic()
        cached = self._cache.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        addresses = await self._resolver.resolve(host)
        if not addresses:
            raise OSError(f"{host} has no addresses")
        self._judge(host, addresses)
        if len(self._cache) >= DNS_CACHE_SIZE:
            self._cache.clear()
        self._cache[host] = (now + DNS_CACHE_SECONDS, addresses)
        return addresses

    def _judge(self, host: str, addresses: list[IPAddress]) -> None:
        if self._allow_private:
            return
        for ip in addresses:
            rule = refusal(ip)
            if rule is not None:
                raise RefusedDestination(host, str(ip), rule)
