"""The egress proxy setting (`HOOKLINE_EGRESS_PROXY`) read: `http://[user:password@]host:port`,
the user and password becoming the Proxy-Authorization sent to the proxy alone."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True, slots=True)
class EgressProxy:
    host: str
    port: int
    authorization: str | None  # a Proxy-Authorization value, from the URL's user:password

    @classmethod
    def parse(cls, url: str) -> EgressProxy:
        """`http://[user:password@]host:port`; raises ValueError for anything else."""
        parts = urlsplit(url.strip())
        if parts.scheme != "http":
            raise ValueError("the egress proxy must be an http://host:port URL")
        if not parts.hostname:
            raise ValueError("the egress proxy URL has no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("the egress proxy URL is http://host:port, without a path")
        port = parts.port or 80
        authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        return cls(host=parts.hostname, port=port, authorization=authorization)
