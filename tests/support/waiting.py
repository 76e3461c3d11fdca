"""Waiting, bounded, for what a test expects of a running Hookline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

FINAL = ("delivered", "failed", "expired")


async def until(what: str, check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {timeout}s")
        await asyncio.sleep(0.05)


async def statuses(hl: Any, tenant: str, message_id: str) -> list[dict[str, Any]]:
    """The message's deliveries, with their status."""
    message = await hl.call("GET", f"/v1/tenants/{tenant}/messages/{message_id}", 200)
    found: list[dict[str, Any]] = message["delivery_statuses"]
    return found


async def final(
    hl: Any, tenant: str, message_id: str, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """The message's deliveries, once every one of them is final."""
    found: list[dict[str, Any]] = []

    async def done() -> bool:
        found[:] = await statuses(hl, tenant, message_id)
        return bool(found) and all(d["status"] in FINAL for d in found)

    await until("final", done, timeout)
    return found


async def logged(caplog: Any, fragment: str, timeout: float = 20.0) -> None:
    async def seen() -> bool:
        return any(fragment in r.getMessage() for r in caplog.records)

    await until(f"logged {fragment!r}", seen, timeout)
