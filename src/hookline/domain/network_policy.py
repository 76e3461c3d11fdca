"""Which destination addresses Hookline refuses to send to (DESIGN §6), as pure functions.

`refusal(ip)` names the rule an address breaks, or None when it is globally routable.
`ip_literal(host)` reads every spelling of an IP literal the C library would accept
(`127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`), so such a host is never mistaken for
a name. `HostResolver` is what answers for names: the system's DNS in production, a
stand-in in tests; registration and delivery both judge every answer it gives.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Protocol

IPAddress = IPv4Address | IPv6Address


class HostResolver(Protocol):
    """Answers the A and AAAA addresses of a host name.

    Raises OSError (socket.gaierror is one) when the name does not resolve.
    """

    async def resolve(self, host: str) -> list[IPAddress]: ...


_V4_RULES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), rule)
    for net, rule in (
        ("0.0.0.0/8", "this-network"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "cgnat"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "ietf-protocol-assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4-relay"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),  # inside 240/4: named before it
        ("240.0.0.0/4", "reserved"),
    )
)

_V6_RULES: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), rule)
    for net, rule in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("100::/64", "discard"),
        ("2001:db8::/32", "documentation"),
        ("2001:10::/28", "orchid"),
        ("2001:20::/28", "orchid"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)

# IPv6 forms that carry an IPv4 address inside. They are refused whatever they carry:
# a receiver has no need of them, and a gateway that translates them would take the
# connection to an IPv4 address this policy never saw.
_V6_EMBEDDING: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), rule)
    for net, rule in (
        ("::ffff:0:0/96", "ipv4-mapped"),
        ("::/96", "ipv4-compatible"),
        ("64:ff9b::/96", "nat64"),
        ("64:ff9b:1::/48", "nat64"),
        ("2002::/16", "6to4"),
        ("2001::/32", "teredo"),
    )
)

_DESCRIPTIONS = {
    "this-network": "a 'this network' address (0.0.0.0/8)",
    "private": "a private address",
    "cgnat": "a carrier-grade NAT address (100.64.0.0/10)",
    "loopback": "a loopback address",
    "link-local": "a link-local address (this includes cloud metadata services)",
    "ietf-protocol-assignments": "an IETF protocol assignment (192.0.0.0/24)",
    "documentation": "a documentation address",
    "6to4-relay": "a 6to4 relay anycast address",
    "benchmarking": "a benchmarking address (198.18.0.0/15)",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "broadcast": "the broadcast address",
    "unspecified": "the unspecified address",
    "discard": "a discard-only address",
    "orchid": "an ORCHID address",
    "unique-local": "a unique-local address (fc00::/7)",
    "site-local": "a site-local address (fec0::/10)",
    "ipv4-mapped": "an IPv4-mapped IPv6 address",
    "ipv4-compatible": "an IPv4-compatible IPv6 address",
    "nat64": "a NAT64 address",
    "6to4": "a 6to4 address",
    "teredo": "a Teredo address",
    "not-global": "not a globally routable address",
}


def refusal(ip: IPAddress) -> str | None:
    """The rule `ip` breaks, or None when Hookline may connect to it."""
    if isinstance(ip, IPv4Address):
        for net, rule in _V4_RULES:
            if ip in net:
                return rule
        return None if ip.is_global else "not-global"
    # The exact special addresses first, so ::1 reads "loopback", not "ipv4-compatible".
    for net6, rule in _V6_RULES:
        if ip in net6:
            return rule
    for net6, rule in _V6_EMBEDDING:
        if ip in net6:
            return rule
    return None if ip.is_global else "not-global"


def describe(rule: str) -> str:
    """The rule in words, for a sentence such as "10.0.0.1 is a private address"."""
    return _DESCRIPTIONS.get(rule, f"refused ({rule})")


def first_refused(addresses: Iterable[IPAddress]) -> tuple[IPAddress, str] | None:
    """The first address the policy refuses and its rule: one is enough to refuse a host."""
    for ip in addresses:
        rule = refusal(ip)
        if rule is not None:
            return ip, rule
    return None


def is_loopback_name(host: str) -> bool:
    """`localhost` and its subdomains always mean this machine (RFC 6761)."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def _inet_aton_part(text: str) -> int | None:
    try:
        if text.lower().startswith("0x"):
            return int(text[2:], 16) if len(text) > 2 else 0
        if len(text) > 1 and text.startswith("0"):
            return int(text[1:], 8)
        return int(text, 10)
    except ValueError:
        return None


def _legacy_ipv4(host: str) -> IPv4Address | None:
    """inet_aton's forms: 1–4 parts, each decimal, octal (0...) or hex (0x...)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or any(p == "" for p in parts):
        return None
    values = [_inet_aton_part(p) for p in parts]
    nums = [v for v in values if v is not None]
    if len(nums) != len(values) or any(v < 0 for v in nums):
        return None
    *head, last = nums
    if any(v > 255 for v in head) or last >= 1 << (8 * (5 - len(nums))):
        return None
    value = 0
    for v in head:
        value = (value << 8) | v
    value = (value << (8 * (5 - len(nums)))) | last
    return IPv4Address(value)


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names when it is an IP literal in any spelling, else None."""
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        return _legacy_ipv4(host)
    return None
