"""A DNS resolver for aiohttp that enforces the network policy on every resolution.

aiohttp connects only to addresses its resolver returns, and this resolver returns
nothing unless every A/AAAA answer passes the policy: the address connected to is one
checked in that same resolution, so there is no window for DNS rebinding. aiohttp does
not ask a resolver about IP literals, so `check_literal` judges those before sending.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hookline.domain.network_policy import HostResolver, ip_literal, refusal

REFUSED_MESSAGE = "destination refused by network policy"


class RefusedDestination(OSError):
    """Raised for a host whose addresses the network policy does not allow."""

    def __init__(self, host: str, address: str, rule: str) -> None:
        super().__init__(f"{REFUSED_MESSAGE}: {host} resolves to {address} ({rule})")
        self.host = host
        self.address = address
        self.rule = rule


class PolicyResolver(AbstractResolver):
    """Wraps a resolver; refuses a host outright if any one of its answers is refused."""

    def __init__(self, base: AbstractResolver | None = None) -> None:
        self._base = base or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._base.resolve(host, port, family)
        for result in results:
            address = result["host"]
            rule = refusal(ipaddress.ip_address(address.split("%", 1)[0]))
            if rule is not None:
                raise RefusedDestination(host, address, rule)
        if not results:
            raise OSError(f"{host} has no addresses")
        return results

    async def close(self) -> None:
        await self._base.close()


class HostResolverAdapter(AbstractResolver):
    """Serves aiohttp from a domain `HostResolver` (how tests stand in for DNS)."""

    def __init__(self, resolver: HostResolver) -> None:
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results: list[ResolveResult] = []
        for ip in await self._resolver.resolve(host):
            ip_family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            if family not in (socket.AF_UNSPEC, ip_family):
                continue
            results.append(
                ResolveResult(
                    hostname=host,
                    host=str(ip),
                    port=port,
                    family=ip_family,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        if not results:
            raise OSError(f"{host} has no addresses")
        return results

    async def close(self) -> None:
        return None


def check_literal(host: str) -> None:
    """aiohttp skips the resolver for IP literals, so those are checked here."""
    ip = ip_literal(host)
    if ip is not None:
        rule = refusal(ip)
        if rule is not None:
            raise RefusedDestination(host, str(ip), rule)
