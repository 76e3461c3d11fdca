"""SQLite's write-ahead log copied into the database file from a thread, not by a commit.

By default the commit that fills the log past 1,000 pages runs the checkpoint itself:
under `make bench` one commit in thirty took 6–9 ms for it, on the event loop's thread
(Hookline commits there), about 5 % of `hookline serve`'s time. With automatic
checkpoints off on Hookline's connections, this runs PASSIVE checkpoints from a
connection of its own in a worker thread; SQLite does that work without the GIL, so it
overlaps with the loop. A PASSIVE checkpoint waits for no one: it copies what no reader
still needs, and the next one copies the rest.

Copying is not enough: the log only starts over from its beginning when a transaction
begins while everything in it has been copied. Under steady writes some commit always
lands while a checkpoint runs, so that moment never came, and the log grew for as long as
the load lasted (200 MB over a 20,000-message benchmark run, every frame a fresh page
for the kernel to find room for). So each round ends with a second, short checkpoint
while this process's writers wait on its write lock: it copies the few frames committed
during the first, and the next commit starts the log over. Other processes writing the
same file are not held off; `journal_size_limit` still cuts the file back once they let
the log start over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading

log = logging.getLogger("hookline.store")

INTERVAL = 0.25  # seconds between checkpoints: the log grows a few MB/s at most
SIZE_LIMIT = 64 * 1024 * 1024  # the log file is cut back to this when it starts over


class Checkpointer:
    def __init__(
        self, path: str, *, write_lock: asyncio.Lock | None = None, interval: float = INTERVAL
    ) -> None:
        """`write_lock`: the one this process's writers hold (see `Database.write`)."""
        self._path = path
        self._write_lock = write_lock
        self._interval = interval
        self._conn: sqlite3.Connection | None = None
        # One thread at a time uses the connection: a checkpoint whose awaiting task was
        # cancelled (at stop) goes on in its thread, and the connection must not be
        # used beside it, nor closed under it.
        self._conn_lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self._last: tuple[int, int] | None = None  # what the last checkpoint reported
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
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.checkpoint()
            except sqlite3.Error as exc:  # the file is busy or gone: the next one tries again
                log.warning("WAL checkpoint failed: %s", exc)

    async def checkpoint(self) -> None:
        """Copy the log into the database, then finish with writers held off (see above).
        The finish runs in a thread too: a checkpoint that copies anything syncs the log
        and the database file, and an fsync (under a millisecond here, several on slow
        disks) must not stop the event loop; only the writers wait for it. A log that has
        not changed since a checkpoint that copied all of it (an idle process) needs no
        finish, and its writers are not held."""
        seen = await asyncio.to_thread(self._checkpoint)
        idle = seen == self._last and seen[0] == seen[1]
        if self._write_lock is not None and not idle:
            async with self._write_lock:
                seen = await asyncio.to_thread(self._checkpoint)
        self._last = seen
        self.runs += 1

    def _checkpoint(self) -> tuple[int, int]:
        """One PASSIVE checkpoint: the frames in the log, and how many of them are copied.
        (SQLite keeps reporting a log it copied until the next writer starts it over.)"""
        with self._conn_lock:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self._path, check_same_thread=False, isolation_level=None
                )
            row = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return (int(row[1]), int(row[2])) if row is not None else (0, 0)
