"""The HTTP client that sends attempts: HTTP/1.1 over keep-alive connections pooled per
origin, no redirects, bounded response reads, and the network policy on every connect.

It is Hookline's own, on asyncio's transports and httptools' parser (the parser uvicorn
uses), because a general client spends most of an attempt's CPU on what an attempt does
not need: one POST of bytes already built, and three headers of the answer. A request
on a kept-alive connection that the server had closed before answering anything is sent
once more on a new connection, as Go's net/http does for requests carrying an
idempotency key (`webhook-id` is one).

Connections are made like a good client's: with several checked addresses the next is
tried 250 ms after the previous began (Happy Eyeballs, `happy_eyeballs.py`); TLS trusts
the system store and `HOOKLINE_CA_BUNDLE` (`tls.py`); with `HOOKLINE_EGRESS_PROXY` the
connection is a CONNECT tunnel to the checked address (`egress_proxy.py`). What a server
can make an attempt hold is bounded (`http_connection.py`).

Callers bound how many posts run at once (the worker's concurrency); the pool keeps at
most `max_connections` idle connections, each for `KEEPALIVE_SECONDS` at most.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from pathlib import Path

from hookline.delivery.egress_proxy import EgressProxy, ProxyConnector
from hookline.delivery.happy_eyeballs import connect_first
from hookline.delivery.http_connection import (
    BadResponse,
    ConnectionClosed,
    HttpConnection,
    Response,
)
from hookline.delivery.http_request import BadRequest, Target, target_of
from hookline.delivery.resolver import AddressBook, RefusedDestination, SystemResolver
from hookline.delivery.tls import client_context
from hookline.domain.network_policy import HostResolver, IPAddress

__all__ = ["READ_LIMIT", "STORE_LIMIT", "HttpSender", "Response", "SendError"]

READ_LIMIT = 64 * 1024
STORE_LIMIT = 2 * 1024
TARGET_CACHE_SIZE = 4096
KEEPALIVE_SECONDS = 30.0
_SWEEP_EVERY = 5.0


class SendError(Exception):
    """The request got no HTTP answer; `refused` marks the network policy's refusals,
    `timed_out` an answer that did not come within the endpoint's timeout."""

    def __init__(self, message: str, *, refused: bool = False, timed_out: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
        self.timed_out = timed_out


class HttpSender:
    """Posts attempts. `resolver` answers for names (default: the system's); unless
    private targets are allowed every answer is judged by the network policy.
    `ca_bundle` adds CAs to the system's trust store; `egress_proxy` (an
    `http://host:port` URL) carries every connection through a CONNECT tunnel. Both
    are read here, so a bad one stops the process that builds the sender."""

    def __init__(
        self,
        *,
        allow_private_targets: bool,
        max_connections: int = 200,
        resolver: HostResolver | None = None,
        ca_bundle: Path | str | None = None,
        egress_proxy: str | None = None,
    ) -> None:
        self._addresses = AddressBook(
            resolver or SystemResolver(), allow_private=allow_private_targets
        )
        self._max_idle = max_connections
        self._ca_bundle = ca_bundle
        # Loading the trust store takes milliseconds: once, and only when a https
        # endpoint needs it (unless a bundle is given: then at once, to fail early).
        self._tls: ssl.SSLContext | None = client_context(ca_bundle) if ca_bundle else None
        self._proxy = ProxyConnector(EgressProxy.parse(egress_proxy)) if egress_proxy else None
        self._started = False
        self._targets: dict[str, Target] = {}  # parsed once per URL, not once per attempt
        self._idle: dict[tuple[bool, str, int], list[HttpConnection]] = {}
        self._idle_count = 0
        self._busy: set[HttpConnection] = set()
        self._next_sweep = 0.0

    async def start(self) -> None:
        self._started = True

    async def close(self) -> None:
        self._started = False
        for pool in self._idle.values():
            for conn in pool:
                conn.close()
        self._idle.clear()
        self._idle_count = 0
        for conn in self._busy:
            conn.abort()
        self._busy.clear()

    async def post(
        self, url: str, *, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        if not self._started:
            raise RuntimeError("HttpSender.start() was not called")
        try:
            target = self._target(url)
            request = target.head(headers, len(body)) + body
        except BadRequest as exc:
            raise SendError(str(exc)) from exc
        try:
            return await self._exchange(
                target, request, asyncio.get_running_loop().time() + timeout
            )
        except TimeoutError as exc:
            raise SendError(f"timed out after {timeout:g}s", timed_out=True) from exc

    def _target(self, url: str) -> Target:
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) >= TARGET_CACHE_SIZE:
                self._targets.clear()
            target = self._targets[url] = target_of(url)
        return target

    async def _exchange(self, target: Target, request: bytes, deadline: float) -> Response:
        """Raises TimeoutError at `deadline` (the loop's clock), SendError for the rest."""
        conn = self._take_idle(target.origin)
        reused = conn is not None
        if conn is None:
            conn = await self._connect(target, deadline)
        self._busy.add(conn)
        try:
            try:
                response, keep_alive = await conn.exchange(request, deadline)
            except ConnectionClosed as exc:
                if not reused or exc.answered:
                    raise
                # The server closed this kept-alive connection as the request went out.
                conn.abort()
                self._busy.discard(conn)
                conn = await self._connect(target, deadline)
                self._busy.add(conn)
                response, keep_alive = await conn.exchange(request, deadline)
        except ConnectionClosed as exc:
            conn.abort()
            raise SendError("server closed the connection without answering") from exc
        except BadResponse as exc:
            conn.abort()
            raise SendError(str(exc)) from exc
        except BaseException:  # timed out (dropped already) or cancelled: it is still open
            conn.abort()
            raise
        finally:
            self._busy.discard(conn)
        if keep_alive and self._started:
            self._put_idle(target.origin, conn)
        else:
            conn.close()
        return response

    async def _connect(self, target: Target, deadline: float) -> HttpConnection:
        async with asyncio.timeout_at(deadline):
            return await self._open(target)

    async def _open(self, target: Target) -> HttpConnection:
        # The policy judges the target's addresses first, with or without a proxy.
        try:
            addresses = await self._addresses.resolve(target.host)
        except RefusedDestination as exc:
            raise SendError(str(exc), refused=True) from exc
        except OSError as exc:
            raise SendError(f"DNS lookup failed: {exc}") from exc
        try:
            sock = await self._socket(addresses, target.port)
        except OSError as exc:
            raise SendError(f"connection failed: {exc.strerror or exc}") from exc
        loop = asyncio.get_running_loop()
        tls = self._tls_context() if target.tls else None
        try:
            _, conn = await loop.create_connection(
                lambda: HttpConnection(loop, read_limit=READ_LIMIT),
                sock=sock,
                ssl=tls,
                server_hostname=target.host if tls is not None else None,
            )
        except ssl.SSLCertVerificationError as exc:
            raise SendError(f"TLS certificate error: {exc.verify_message or exc}") from exc
        except ssl.SSLError as exc:
            raise SendError(f"TLS error: {exc.reason or exc}") from exc
        except OSError as exc:
            raise SendError(f"connection failed: {exc.strerror or exc}") from exc
        return conn

    async def _socket(self, addresses: list[IPAddress], port: int) -> socket.socket:
        """A connected socket to one of the checked `addresses`, or a tunnel to one."""
        if self._proxy is not None:
            return await self._proxy.tunnel(addresses, port)
        return await connect_first(addresses, port)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = client_context(self._ca_bundle)
        return self._tls

    # -- the idle pool ----------------------------------------------------------------

    def _take_idle(self, origin: tuple[bool, str, int]) -> HttpConnection | None:
        pool = self._idle.get(origin)
        if not pool:
            return None
        stale_before = time.monotonic() - KEEPALIVE_SECONDS
        while pool:
            conn = pool.pop()
            self._idle_count -= 1
            if not conn.closed and conn.idle_since > stale_before:
                return conn
            conn.close()
        return None

    def _put_idle(self, origin: tuple[bool, str, int], conn: HttpConnection) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._sweep(now)
        if self._idle_count >= self._max_idle:
            conn.close()
            return
        conn.idle_since = now
        pool = self._idle.get(origin)
        if pool is None:
            pool = self._idle[origin] = []
        pool.append(conn)
        self._idle_count += 1

    def _sweep(self, now: float) -> None:
        """Closes connections idle too long or closed by their server."""
        self._next_sweep = now + _SWEEP_EVERY
        stale_before = now - KEEPALIVE_SECONDS
        for origin in list(self._idle):
            pool = self._idle[origin]
            kept = [c for c in pool if not c.closed and c.idle_since > stale_before]
            for conn in pool:
                if conn.closed or conn.idle_since <= stale_before:
                    conn.close()
            self._idle_count -= len(pool) - len(kept)
            if kept:
                self._idle[origin] = kept
            else:
                del self._idle[origin]
