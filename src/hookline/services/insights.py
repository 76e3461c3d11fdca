"""Read-only views across the queue: what /metrics and the dashboard show about load."""

from __future__ import annotations

from hookline.services.context import Context
from hookline.store import queue
from hookline.store.queue import QueueStats


async def queue_stats(ctx: Context) -> QueueStats:
    async with ctx.db.read() as conn:
        return await queue.queue_stats(conn)
