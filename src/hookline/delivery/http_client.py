"""The HTTP client that sends attempts: one aiohttp session with keep-alive pools,
no redirects, bounded response reads, and the network policy in its resolver."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import aiohttp
from yarl import URL

from hookline.delivery.resolver import PolicyResolver, RefusedDestination, check_literal

READ_LIMIT = 64 * 1024
STORE_LIMIT = 2 * 1024
TARGET_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes  # at most READ_LIMIT bytes
    retry_after: str | None
    location: str | None


class SendError(Exception):
    """The request got no HTTP answer; `refused` marks the network policy's refusals,
    `timed_out` an answer that did not come within the endpoint's timeout."""

    def __init__(self, message: str, *, refused: bool = False, timed_out: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
        self.timed_out = timed_out


class HttpSender:
    """Posts attempts. `resolver` answers for names (default: the system's, in a thread);
    unless private targets are allowed it is wrapped in the PolicyResolver."""

    def __init__(
        self,
        *,
        allow_private_targets: bool,
        max_connections: int = 200,
        resolver: aiohttp.abc.AbstractResolver | None = None,
    ) -> None:
        self._allow_private = allow_private_targets
        self._max_connections = max_connections
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        # Parsed once per URL and timeout, not once per attempt.
        self._targets: dict[str, URL] = {}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        found = self._timeouts.get(seconds)
        if found is None:
            found = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
        return found

    async def start(self) -> None:
        if self._session is not None:
            return
        resolver = self._resolver if self._allow_private else PolicyResolver(self._resolver)
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            ttl_dns_cache=10,
            resolver=resolver,
            enable_cleanup_closed=True,
            keepalive_timeout=30,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=True,
            skip_auto_headers=("User-Agent", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self, url: str, *, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        if self._session is None:
            raise RuntimeError("HttpSender.start() was not called")
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) >= TARGET_CACHE_SIZE:
                self._targets.clear()
            target = self._targets[url] = URL(url, encoded=False)
        try:
            if not self._allow_private and target.host is not None:
                check_literal(target.host)
            async with self._session.post(
                target,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=self._timeout(timeout),
            ) as resp:
                data = await _read_limited(resp.content, READ_LIMIT)
                return Response(
                    status=resp.status,
                    body=data,
                    retry_after=resp.headers.get("Retry-After"),
                    location=resp.headers.get("Location"),
                )
        except RefusedDestination as exc:
            raise SendError(str(exc), refused=True) from exc
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, RefusedDestination):
                raise SendError(str(exc.os_error), refused=True) from exc
            raise SendError(f"DNS lookup failed: {exc.os_error}") from exc
        except TimeoutError as exc:
            raise SendError(f"timed out after {timeout:g}s", timed_out=True) from exc
        except aiohttp.ClientConnectorCertificateError as exc:
            raise SendError(f"TLS certificate error: {exc.certificate_error}") from exc
        except (aiohttp.ClientSSLError, ssl.SSLError) as exc:
            raise SendError(f"TLS error: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise SendError(f"connection failed: {exc.os_error.strerror or exc}") from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise SendError("server closed the connection without answering") from exc
        except aiohttp.ClientError as exc:
            raise SendError(f"{type(exc).__name__}: {exc}") from exc


async def _read_limited(content: aiohttp.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
