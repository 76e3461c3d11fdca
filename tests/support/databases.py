"""Fresh databases per test: a SQLite file, or a PostgreSQL database cloned from a
template that was migrated once per session (procrastinate/pgqueuer style)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from hookline.store import migrate
from hookline.store.database import Database

ADMIN_URL = os.environ.get(
    "HOOKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ENGINES = [
    e.strip()
    for e in os.environ.get("HOOKLINE_TEST_DATABASES", "sqlite,postgresql").split(",")
    if e.strip()
]


def _with_db(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}"


class PostgresTemplates:
    """Creates the migrated template on first use; clones and drops test databases.

    Cloning a database takes PostgreSQL 0.3–1 s here and dropping one up to another
    second: a test waiting for both would spend minutes of the suite on them. So a
    thread of its own keeps `AHEAD` clones ready and drops the used ones while tests
    run; a test waits only when it outruns the thread."""

    AHEAD = 2

    def __init__(self) -> None:
        self.template = f"hl_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._ready = False
        self._clones: queue.Queue[str] = queue.Queue()
        self._makes: queue.Queue[bool] = queue.Queue()
        self._drops: queue.Queue[str] = queue.Queue()
        self._work = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def _admin(self) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(ADMIN_URL, timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            raise RuntimeError(
                f"PostgreSQL is unreachable at {ADMIN_URL} ({exc}). The suite runs on both "
                "databases; start PostgreSQL, or set HOOKLINE_TEST_DATABASES=sqlite to run "
                "the SQLite half alone."
            ) from exc

    async def _ensure_template(self) -> None:
        if self._ready:
            return
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await conn.close()
        db = Database(_with_db(ADMIN_URL, self.template))
        try:
            await migrate.upgrade(db)
        finally:
            await db.dispose()
        self._ready = True

    # -- what tests call ---------------------------------------------------------------

    async def create(self) -> str:
        """A fresh migrated database's URL (a ready clone, or the next one made)."""
        self._start()
        self._makes.put(True)  # one more to keep ahead of the next test
        self._work.set()
        deadline = time.monotonic() + 120
        while True:
            if self._error is not None:
                raise self._error
            try:
                name = await asyncio.to_thread(self._clones.get, timeout=0.5)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise TimeoutError("no PostgreSQL test database within 120 s") from None
                continue
            return _with_db(ADMIN_URL, name)

    async def drop(self, url: str) -> None:
        """Dropped by the thread, soon: the test does not wait for it."""
        self._drops.put(url.rsplit("/", 1)[1])
        self._work.set()

    def drop_template(self) -> None:
        """At the session's end: every clone and the template dropped, the thread ended."""
        if self._thread is None:
            return
        self._stop.set()
        self._work.set()
        self._thread.join(timeout=120)

    # -- the thread --------------------------------------------------------------------

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                for _ in range(self.AHEAD):
                    self._makes.put(True)
                self._thread = threading.Thread(target=self._run, name="pg-clones", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        asyncio.run(self._keep())

    async def _keep(self) -> None:
        conn: asyncpg.Connection | None = None
        try:
            await self._ensure_template()
            conn = await self._admin()
            while not self._stop.is_set():
                if self._take(self._makes) is not None:  # a clone first: a test may wait
                    name = f"hl_test_{uuid.uuid4().hex[:12]}"
                    await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
                    self._clones.put(name)
                elif (name := self._take(self._drops)) is not None:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                else:
                    await asyncio.to_thread(self._work.wait, 0.5)
                    self._work.clear()
        except BaseException as exc:  # every test that asks from now on is told
            self._error = exc
        finally:
            if conn is None:
                with contextlib.suppress(BaseException):
                    conn = await self._admin()
            if conn is not None:
                await self._drop_all(conn)
                await conn.close()

    async def _drop_all(self, conn: asyncpg.Connection) -> None:
        names: list[str] = []
        for q in (self._drops, self._clones):
            while (name := self._take(q)) is not None:
                names.append(name)
        if self._ready:
            names.append(self.template)
        for name in names:
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @staticmethod
    def _take(q: queue.Queue[Any]) -> Any:
        try:
            return q.get_nowait()
        except queue.Empty:
            return None


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'hookline.db'}"


class SqliteTemplate:
    """A migrated SQLite file made once per session and copied for each test (cheaper
    than replaying the migrations every time; the migration test replays them)."""

    def __init__(self) -> None:
        self._path: Path | None = None

    async def create(self, directory: Path) -> str:
        if self._path is None:
            template_dir = Path(tempfile.mkdtemp(prefix="hl-sqlite-template-"))
            db = Database(sqlite_url(template_dir))
            try:
                await migrate.upgrade(db)
            finally:
                await db.dispose()
            self._path = template_dir / "hookline.db"
        shutil.copyfile(self._path, directory / "hookline.db")
        return sqlite_url(directory)
