"""Endpoint URL checks at registration (the syntactic half of the network policy).

Refuses what no policy could allow: other schemes, userinfo, control characters and
backslashes, missing hosts, bad ports. `http` passes only with HOOKLINE_ALLOW_HTTP.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from hookline.domain.errors import FieldError, RefusedTarget

MAX_URL_LENGTH = 2048


def _refuse(url: str, rule: str, detail: str) -> RefusedTarget:
    return RefusedTarget(detail, rule=rule, errors=[FieldError("body.url", detail, url)])


def normalise_url(url: str, *, allow_http: bool) -> str:
    """Return the URL in normal form (lower-case scheme and host, no trailing dot)."""
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
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _refuse(url, "no-host", "Endpoint URL has no host.")
    if port == 0:
        raise _refuse(url, "bad-port", "Port 0 is not a port.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
