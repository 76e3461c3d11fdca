"""Group commit: concurrent requests share one write transaction.

Requests queue up while a batch is being written; the next batch takes them all, so
under load many requests cost one transaction and one commit, and an idle request is
written at once (no timer, no added latency). The `apply` function does the work of a
batch inside the transaction and answers each request with a result or an exception
(a refused request writes nothing). If the whole transaction fails, the requests are
retried one by one so that one bad request cannot fail the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.database import Database

Req = TypeVar("Req")
Res = TypeVar("Res")

Apply = Callable[[AsyncConnection, Sequence[Req]], Awaitable[list[Res | BaseException]]]

MAX_BATCH = 500


class GroupCommit(Generic[Req, Res]):
    def __init__(self, db: Database, apply: Apply[Req, Res], *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._apply = apply
        self._max = max_batch
        self._queue: list[tuple[Req, asyncio.Future[Res]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, request: Req) -> Res:
        """Returns once the batch holding `request` committed (or raises its error)."""
        future: asyncio.Future[Res] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain(), name="hookline-group-commit")
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self._max]
            del self._queue[: len(batch)]
            try:
                outcomes = await self._run([r for r, _ in batch])
            except BaseException as exc:
                if len(batch) == 1 or isinstance(exc, asyncio.CancelledError):
                    for _, future in batch:
                        _settle(future, exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for request, future in batch:
                    try:
                        (outcome,) = await self._run([request])
                    except Exception as single:
                        outcome = single
                    _settle(future, outcome)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                _settle(future, outcome)

    async def _run(self, requests: Sequence[Req]) -> list[Res | BaseException]:
        async with self._db.write() as conn:
            return await self._apply(conn, requests)


def _settle(future: asyncio.Future[Res], outcome: Res | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
