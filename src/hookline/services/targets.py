"""Endpoint URLs at registration: the network policy of DESIGN §6, before anything is stored.

Two halves. `normalise_url` is syntax and holds whatever the deployment allows: other
schemes, userinfo, control characters and backslashes, malformed hosts and ports are
refused, and the host is put in normal form (IDN → punycode, lower case, no trailing
dot, an IP literal in any spelling → its canonical address). `check_addresses` judges
where the URL leads: an IP literal as it is, a name by every A/AAAA answer (one refused
address, or no answer at all, refuses it). HOOKLINE_ALLOW_PRIVATE_TARGETS lifts that
half only. The worker judges again at every connection (delivery.resolver), so a name
that moves after registration is still refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

import idna

from hookline.domain.errors import FieldError, RefusedTarget
from hookline.domain.network_policy import (
    HostResolver,
    describe,
    first_refused,
    ip_literal,
    is_loopback_name,
    refusal,
)

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT = 5.0
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def _refuse(url: str, rule: str, detail: str) -> RefusedTarget:
    return RefusedTarget(detail, rule=rule, errors=[FieldError("body.url", detail, url)])


def _ascii_host(url: str, host: str) -> str:
    """The host in normal form: punycode, lower case, no trailing dot, canonical IP."""
    if ":" in host:  # only an IPv6 literal has a colon in urlsplit's hostname
        if "%" in host:
            raise _refuse(url, "bad-host", "IPv6 zone identifiers are not allowed.")
        try:
            return f"[{ipaddress.IPv6Address(host)}]"
        except ValueError as exc:
            raise _refuse(url, "bad-host", f"{host!r} is not an IPv6 address.") from exc
    try:
        # UTS #46 as browsers apply it: maps case, full-width digits and dots (127。0。0。1).
        ascii_host = host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    except UnicodeError as exc:  # idna.IDNAError is one
        raise _refuse(url, "bad-host", f"{host!r} is not a valid host name: {exc}.") from exc
    ascii_host = ascii_host.lower().rstrip(".")
    literal = ip_literal(ascii_host)
    if literal is not None:
        return f"[{literal}]" if literal.version == 6 else str(literal)
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _refuse(url, "bad-host", f"{host!r} is not a valid host name.")
    return ascii_host


def normalise_url(url: str, *, allow_http: bool) -> str:
    """Return the URL in normal form, or raise RefusedTarget naming the rule it breaks."""
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(url, "too-long", f"URLs are at most {MAX_URL_LENGTH} characters.")
    if any(c in url for c in "\r\n\t\\ ") or any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise _refuse(
            url,
            "bad-characters",
            "URL contains whitespace, control characters or '\\'.",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse(url, "malformed", f"URL does not parse: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_http and scheme == "http"):
        raise _refuse(url, "https-only", "Endpoint URLs must use https.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _refuse(url, "no-userinfo", "Endpoint URLs may not carry a user name or password.")
    raw_host = parts.hostname or ""
    if not raw_host.rstrip("."):
        raise _refuse(url, "no-host", "Endpoint URL has no host.")
    if port == 0:
        raise _refuse(url, "bad-port", "Port 0 is not a port.")
    netloc = _ascii_host(url, raw_host)
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def host_of(normal_url: str) -> str:
    """The host of a URL `normalise_url` returned (IPv6 without brackets)."""
    return urlsplit(normal_url).hostname or ""


async def check_addresses(normal_url: str, *, resolver: HostResolver) -> None:
    """Refuse a normalised URL whose host is, or resolves to, a refused address."""
    host = host_of(normal_url)
    literal = ip_literal(host)
    if literal is not None:
        rule = refusal(literal)
        if rule is not None:
            raise _refuse(
                normal_url,
                rule,
                f"{literal} is {describe(rule)}; endpoints must be publicly routable.",
            )
        return
    if is_loopback_name(host):
        raise _refuse(normal_url, "loopback", f"{host} always names this machine.")
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            addresses = await resolver.resolve(host)
    except TimeoutError as exc:
        raise _refuse(
            normal_url, "unresolvable", f"Looking up {host} took over {RESOLVE_TIMEOUT:g}s."
        ) from exc
    except (OSError, UnicodeError) as exc:
        raise _refuse(normal_url, "unresolvable", f"{host} does not resolve.") from exc
    if not addresses:
        raise _refuse(normal_url, "unresolvable", f"{host} has no A or AAAA record.")
    refused = first_refused(addresses)
    if refused is not None:
        ip, rule = refused
        raise _refuse(
            normal_url,
            rule,
            f"{host} resolves to {ip}, which is {describe(rule)}; "
            "every address of an endpoint must be publicly routable.",
        )
