"""Hookline's API as a publisher uses it: set up event types, tenants and endpoints, then
publish many messages concurrently or at a paced rate, noting when each was accepted.

The payload is padded so that the body Hookline delivers is about 1 KiB, the same size
as the ceiling's bodies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from bench.processes import ADMIN_KEY, BenchError

EVENT_TYPE = "bench.event"
BODY_BYTES = 1024
# {"id":"msg_<26>","type":"bench.event","timestamp":"2026-01-01T00:00:00.000Z",
#  "data":{"seq":123456,"pad":"…"}} is 130 bytes around the padding.
PAD = "x" * (BODY_BYTES - 130)
RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_RETRIES = 5
Progress = Callable[[str], None]


def payload(seq: int) -> dict[str, Any]:
    return {"seq": seq, "pad": PAD}


@dataclass
class Published:
    """What a publishing run got: the accepted time of each message id, and its pace."""

    accepted: dict[str, float] = field(default_factory=dict)  # id → time.time() of the 2xx
    sent: dict[str, float] = field(default_factory=dict)  # id → time.time() the request left
    tenant_of: dict[str, str] = field(default_factory=dict)  # id → the tenant it went to
    started: float = 0.0  # time.time() just before the first request
    finished: float = 0.0  # time.time() after the last answer
    errors: int = 0
    retries: int = 0
    request_seconds: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.accepted)

    def ids_of(self, tenant: str) -> list[str]:
        return [i for i, t in self.tenant_of.items() if t == tenant]

    @property
    def rate(self) -> float:
        span = self.finished - self.started
        return self.count / span if span > 0 else 0.0


class Api:
    """An aiohttp client for one Hookline API, authenticated with the admin key."""

    def __init__(self, base: str, *, connections: int = 64) -> None:
        self.base = base
        self._session = aiohttp.ClientSession(
            base_url=base,
            connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0),
            headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=60),
            trust_env=False,
        )

    async def close(self) -> None:
        await self._session.close()

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else orjson.dumps(body)
        async with self._session.request(method, path, data=data) as resp:
            raw = await resp.read()
            if resp.status >= 300:
                raise BenchError(f"{method} {path} answered {resp.status}: {raw[:500]!r}")
            return orjson.loads(raw) if raw else None

    # -- setup --------------------------------------------------------------------------

    async def event_type(self, name: str = EVENT_TYPE) -> None:
        await self.call("POST", "/v1/event-types", {"name": name})

    async def tenant(self, uid: str) -> str:
        created = await self.call("POST", "/v1/tenants", {"name": uid, "uid": uid})
        tenant_id: str = created["id"]
        return tenant_id

    async def endpoint(
        self,
        tenant: str,
        url: str,
        *,
        uid: str,
        events: list[str] | None = None,
        max_in_flight: int | None = None,
        timeout: int | None = None,
    ) -> str:
        body: dict[str, Any] = {"url": url, "uid": uid, "events": events or [EVENT_TYPE]}
        if max_in_flight is not None:
            body["max_in_flight"] = max_in_flight
        if timeout is not None:
            body["timeout"] = timeout
        created = await self.call("POST", f"/v1/tenants/{tenant}/endpoints", body)
        endpoint_id: str = created["id"]
        return endpoint_id

    # -- publishing ---------------------------------------------------------------------

    async def publish_one(self, tenant: str, seq: int, into: Published) -> None:
        body = orjson.dumps({"event_type": EVENT_TYPE, "payload": payload(seq)})
        path = f"/v1/tenants/{tenant}/messages"
        for attempt in range(MAX_RETRIES + 1):
            sent = time.perf_counter()
            sent_at = time.time()
            try:
                async with self._session.post(path, data=body) as resp:
                    raw = await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
                raw = b""
            if status in (200, 202):
                now = time.time()
                into.request_seconds.append(time.perf_counter() - sent)
                msg_id = orjson.loads(raw)["id"]
                into.accepted[msg_id] = now
                into.sent[msg_id] = sent_at
                into.tenant_of[msg_id] = tenant
                return
            if status and status not in RETRYABLE:
                into.errors += 1
                return
            if attempt < MAX_RETRIES:
                into.retries += 1
                await asyncio.sleep(0.05 * 2**attempt)
        into.errors += 1


async def publish_many(
    api: Api,
    route: Callable[[int], str],
    count: int,
    *,
    concurrency: int,
    progress: Progress,
    timeout: float,
) -> Published:
    """Publish `count` messages from `concurrency` lanes at once; message `seq` goes to
    tenant `route(seq)`. Stops early (and says so) after `timeout` seconds."""
    out = Published()
    seqs = iter(range(count))
    deadline = time.monotonic() + timeout

    async def lane() -> None:
        for seq in seqs:  # one shared iterator: each seq is taken by one lane
            if time.monotonic() > deadline:
                return
            await api.publish_one(route(seq), seq, out)

    async def report() -> None:
        while True:
            await asyncio.sleep(2.0)
            progress(f"published {out.count:,}/{count:,} ({out.errors} errors)")

    out.started = time.time()
    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(lane() for _ in range(concurrency)))
    finally:
        reporter.cancel()
    out.finished = time.time()
    if out.count + out.errors < count:
        progress(f"publishing stopped at the {timeout:.0f}s bound: {out.count:,}/{count:,}")
    return out


async def publish_paced(
    api: Api,
    tenant: str,
    *,
    rate: float,
    duration: float,
    max_in_flight: int,
    progress: Progress,
) -> Published:
    """Publish at `rate` messages per second for `duration` seconds (open loop: a slow
    answer does not delay the next publish, up to `max_in_flight` at once). Stops
    scheduling after 3 × `duration` if the API cannot keep up."""
    out = Published()
    total = int(rate * duration)
    slots = asyncio.Semaphore(max_in_flight)
    tasks: set[asyncio.Task[None]] = set()

    async def one(seq: int) -> None:
        try:
            await api.publish_one(tenant, seq, out)
        finally:
            slots.release()

    out.started = time.time()
    t0 = time.monotonic()
    next_note = t0 + 2.0
    for seq in range(total):
        if time.monotonic() - t0 > 3 * duration:
            progress(f"could not keep up: stopped at {seq:,}/{total:,} after {3 * duration:g}s")
            break
        delay = t0 + seq / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        task = asyncio.create_task(one(seq))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if time.monotonic() >= next_note:
            progress(f"published {out.count:,}/{total:,} at {rate:,.0f}/s")
            next_note += 2.0
    if tasks:
        await asyncio.wait(tasks, timeout=60)
    out.finished = time.time()
    return out
