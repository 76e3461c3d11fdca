"""Waking idle workers when deliveries become due.

Inside one process an asyncio event does it. Across processes on PostgreSQL,
`NOTIFY hookline_due` is sent in the publishing transaction (so it is delivered only
if that transaction commits) and every worker LISTENs on a connection of its own.
Polling remains the fallback, so a lost notification only costs one poll interval.

On SQLite a worker in the same process (`hookline serve`) may go further and attach a
*claim-along*: the announcing transaction then claims for it, so the new deliveries
are leased and handed over when that transaction commits, with no claim transaction
of their own (see `Worker.claim_along`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

CHANNEL = "hookline_due"

# Claims in the announcing write transaction; given the bodies of the messages it wrote
# (see `announce` for what passing them promises).
ClaimAlong = Callable[[AsyncConnection, Mapping[str, bytes]], Awaitable[None]]

log = logging.getLogger(__name__)


class Wakeup:
    def __init__(self, *, postgres_dsn: str | None = None) -> None:
        self._event = asyncio.Event()
        self._dsn = postgres_dsn
        self._claim_along: ClaimAlong | None = None

    def attach(self, claim_along: ClaimAlong) -> None:
        """An in-process worker on SQLite: claim for it in every announcing transaction."""
        self._claim_along = claim_along

    def detach(self, claim_along: ClaimAlong) -> None:
        if self._claim_along == claim_along:
            self._claim_along = None

    async def announce(
        self, conn: AsyncConnection, *, bodies: Mapping[str, bytes] | None = None
    ) -> None:
        """Call inside a write transaction that made deliveries due.

        `bodies`, the messages this transaction wrote, is a promise: every delivery it
        made due belongs to one of them. A claim-along may then look only at those
        messages' deliveries (when nothing else was due); a transaction that made other
        deliveries due (a retry, a recovery) passes nothing, and the claim walks the
        whole due queue."""
        if conn.dialect.name == "postgresql":
            await conn.exec_driver_sql(f"NOTIFY {CHANNEL}")
        elif self._claim_along is not None:
            await self._claim_along(conn, bodies or {})

    def poke(self) -> None:
        """Call after that transaction committed: wakes workers of this process."""
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """Sleep until poked or `timeout` seconds; True when poked."""
        if not self._event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        poked = self._event.is_set()
        self._event.clear()
        return poked

    @property
    def listens(self) -> bool:
        """Whether wake-ups come from other processes (PostgreSQL): `listen_forever`."""
        return self._dsn is not None

    async def listen_forever(self) -> None:
        """LISTEN for other processes' wake-ups until cancelled, reconnecting with
        backoff while the database is away (the caller runs and watches the task)."""
        import asyncpg  # only needed on PostgreSQL

        delay = 0.5
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self._dsn, timeout=10)
                await conn.add_listener(CHANNEL, lambda *_: self._event.set())
                delay = 0.5
                self._event.set()  # we may have missed some while disconnected
                while not conn.is_closed():
                    await asyncio.sleep(5)
                    await conn.execute("SELECT 1")  # notices a dead server
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: retry with backoff
                log.warning("listen connection lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
