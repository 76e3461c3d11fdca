"""A real HTTP receiver on 127.0.0.1 that records what it gets and answers as told."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic()


Handler = Callable[[Received], Awaitable[web.StreamResponse]]


@dataclass
class Receiver:
    """Answers with `statuses` in turn (the last one repeats), or with `handler`."""

    statuses: Sequence[int] = (200,)
    delay: float = 0.0
    handler: Handler | None = None
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> Receiver:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        got = Received(
            method=request.method,
            path=request.path_qs,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.read(),
            at=time.monotonic(),
        )
        index = len(self.requests)
        self.requests.append(got)
        self._arrived.set()
        if self.handler is not None:
            return await self.handler(got)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses[min(index, len(self.statuses) - 1)]
        return web.Response(status=status, body=self.body, headers=self.headers)

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """Wait until at least `count` requests arrived; fail after `timeout` seconds."""
        return await self.wait_until(lambda reqs: len(reqs) >= count, timeout, f"{count} requests")

    def message_ids(self) -> set[str]:
        """The distinct webhook-ids received (retries and duplicates count once)."""
        return {r.headers.get("webhook-id", "") for r in self.requests}

    async def wait_for_messages(self, ids: set[str], timeout: float = 30.0) -> set[str]:
        """Wait until every message id in `ids` arrived at least once."""
        await self.wait_until(
            lambda _: ids <= self.message_ids(), timeout, f"all of {len(ids)} messages"
        )
        return self.message_ids()

    async def wait_until(
        self, done: Callable[[list[Received]], bool], timeout: float, what: str
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while not done(self.requests):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"receiver got {len(self.requests)} requests "
                    f"({len(self.message_ids())} distinct), expected {what} within {timeout}s"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(left, 0.5))
        return self.requests
