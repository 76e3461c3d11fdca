"""SQLite's write-ahead log copied into the database file from a thread, not by a commit.

By default the commit that fills the log past 1,000 pages runs the checkpoint itself:
under `make bench` one commit in thirty took 6–9 ms for it, on the event loop's thread
(Hookline commits there), about 5 % of `hookline serve`'s time. With automatic
checkpoints off on Hookline's connections, this runs PASSIVE checkpoints from a
connection of its own in a worker thread; SQLite does that work without the GIL, so it
overlaps with the loop. A PASSIVE checkpoint waits for no one: it copies what no reader
still needs, and the next one copies the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3

log = logging.getLogger("hookline.store")

INTERVAL = 0.25  # seconds between checkpoints: the log grows a few MB/s at most


class Checkpointer:
    def __init__(self, path: str, *, interval: float = INTERVAL) -> None:
        self._path = path
        self._interval = interval
        self._conn: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.runs = 0  # checkpoints done (for tests)

    def start(self) -> None:
        """Starts checkpointing on the running loop, once."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="hookline-wal-checkpoints")

    async def stop(self) -> None:
        """Stops, after a last checkpoint of everything written so far."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(sqlite3.Error):
            await asyncio.to_thread(self._checkpoint)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await asyncio.to_thread(self._checkpoint)
            except sqlite3.Error as exc:  # the file is busy or gone: the next one tries again
                log.warning("WAL checkpoint failed: %s", exc)

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.runs += 1
