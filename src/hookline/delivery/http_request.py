"""The bytes of an attempt's request: a URL read once into where to connect and the
request line with its Host header, then each POST's head built from that."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import idna

# Characters a path or query keeps as they are; anything else (spaces, non-ASCII) is
# percent-encoded, and existing %XX escapes stay.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


class BadRequest(ValueError):
    """The URL or a header cannot be sent."""


@dataclass(frozen=True, slots=True)
class Target:
    tls: bool
    host: str  # ASCII; an IPv6 literal without brackets
    port: int
    origin: tuple[bool, str, int]  # what a kept-alive connection may be reused for
    request_line: bytes  # "POST <path> HTTP/1.1" and the Host header, CRLF-terminated

    def head(self, headers: dict[str, str], length: int) -> bytes:
        """The request's head for a body of `length` bytes; refuses header names or
        values that would break the head (CR, LF, NUL)."""
        text = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
        lines = len(headers)
        if text.count("\n") != lines or text.count("\r") != lines or "\x00" in text:
            raise BadRequest("a header name or value holds a line break or NUL")
        return b"%b%bContent-Length: %d\r\n\r\n" % (
            self.request_line,
            text.encode("utf-8"),
            length,
        )


def target_of(url: str) -> Target:
    """Reads an http(s) URL; raises BadRequest for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadRequest(f"unsupported URL scheme {scheme!r}")
    host = parts.hostname
    if not host:
        raise BadRequest("the URL has no host")
    host = host.rstrip(".") or host
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise BadRequest(f"invalid host name: {exc}") from exc
    tls = scheme == "https"
    default_port = 443 if tls else 80
    port = default_port if port is None else port
    host_header = f"[{host}]" if ":" in host else host
    if port != default_port:
        host_header = f"{host_header}:{port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=_QUERY_SAFE)}"
    line = f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\n"
    return Target(
        tls=tls,
        host=host,
        port=port,
        origin=(tls, host, port),
        request_line=line.encode("ascii"),
    )
