"""Fresh databases per test: a SQLite file, or a PostgreSQL database cloned from a
template that was migrated once per session (procrastinate/pgqueuer style)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from pathlib import Path

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
    """Creates the migrated template on first use; clones and drops test databases."""

    def __init__(self) -> None:
        self.template = f"hl_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._ready = False

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

    async def create(self) -> str:
        await self._ensure_template()
        name = f"hl_test_{uuid.uuid4().hex[:12]}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            await conn.close()
        return _with_db(ADMIN_URL, name)

    async def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def drop_template(self) -> None:
        if not self._ready:
            return

        async def go() -> None:
            conn = await self._admin()
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(go())


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
