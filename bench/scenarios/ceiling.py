"""Scenario 1, the ceiling: a bare aiohttp client posting the same signed 1 KiB body to
the receiver, with the worker's concurrency (200) and its client settings, no database.
Every other throughput is reported as a ratio to this, measured in the same run."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import time
from typing import Any

import aiohttp
import orjson

from bench import measure
from bench.publisher import EVENT_TYPE, payload
from bench.report import Row
from bench.scenarios.common import Context

NAME = "ceiling"


def signed_body() -> tuple[bytes, bytes]:
    """The body Hookline would deliver for one bench message, and an HMAC key."""
    envelope: dict[str, Any] = {
        "id": "msg_" + "0" * 26,
        "type": EVENT_TYPE,
        "timestamp": "2026-01-01T00:00:00.000Z",
        "data": payload(123456),
    }
    return orjson.dumps(envelope), secrets.token_bytes(32)


def headers_for(msg_id: str, body: bytes, key: bytes) -> dict[str, str]:
    """Standard Webhooks headers, signed per request as the worker does."""
    ts = str(int(time.time()))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {
        "content-type": "application/json",
        "user-agent": "Hookline-bench",
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


async def run(ctx: Context) -> list[Row]:
    cfg = ctx.config
    out = await bare_rate(ctx, cfg.ceiling_concurrency)
    rate = out["rate_per_s"]
    ctx.ceiling = rate
    ctx.details[NAME] = out
    note = f"{cfg.ceiling_concurrency} concurrent, {out['body_bytes']} B signed bodies, keep-alive"
    return [Row(NAME, "bare aiohttp → receiver", rate, "req/s", 1.0, note=note)]


async def bare_rate(ctx: Context, concurrency: int) -> dict[str, Any]:
    """Requests/s of the bare client with `concurrency` requests in flight."""
    cfg = ctx.config
    rx = ctx.receiver
    await rx.reset()
    body, key = signed_body()
    url = rx.url("/ceiling")
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, keepalive_timeout=30)
    counted = 0
    failures = 0
    seq = 0
    start = time.monotonic()
    window_start = start + cfg.ceiling_warmup
    window_end = window_start + cfg.ceiling_seconds

    async def lane(session: aiohttp.ClientSession) -> None:
        nonlocal counted, failures, seq
        while (now := time.monotonic()) < window_end:
            seq += 1
            msg_id = f"msg_ceiling_{seq}"
            try:
                async with session.post(
                    url,
                    data=body,
                    headers=headers_for(msg_id, body, key),
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            done = time.monotonic()
            if not ok:
                failures += 1
            elif window_start <= now and done <= window_end:
                counted += 1

    ctx.log(
        f"{concurrency} concurrent posts of {len(body)} B for "
        f"{cfg.ceiling_warmup:g}s warm-up + {cfg.ceiling_seconds:g}s"
    )
    cpu = measure.CpuMeter({"bench (client)": os.getpid(), "receiver": rx.pid}).start()
    async with aiohttp.ClientSession(
        connector=connector,
        skip_auto_headers=("User-Agent", "Content-Type"),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    ) as session:
        await asyncio.gather(*(lane(session) for _ in range(concurrency)))
    cpu_percent = cpu.stop()
    rate = counted / cfg.ceiling_seconds
    stats = await rx.stats()
    ctx.log(f"{rate:,.0f} requests/s ({failures} failures)")
    return {
        "rate_per_s": rate,
        "counted_in_window": counted,
        "requests_sent": seq,
        "failures": failures,
        "body_bytes": len(body),
        "concurrency": concurrency,
        "window_s": cfg.ceiling_seconds,
        "receiver": stats,
        "cpu_percent_of_one_core": cpu_percent,
    }
