"""Fixtures: every test that takes `db_url` runs once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from support.databases import ENGINES, PostgresTemplates, SqliteTemplate
from support.harness import Hookline, settings_for, start_hookline
from support.receiver import Receiver

_templates = PostgresTemplates()
_sqlite_template = SqliteTemplate()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _templates.drop_template()


@pytest.fixture(params=ENGINES)
async def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    """A fresh, migrated database of each kind."""
    if request.param == "sqlite":
        yield await _sqlite_template.create(tmp_path)
        return
    url = await _templates.create()
    try:
        yield url
    finally:
        await _templates.drop(url)


StartHookline = Callable[..., Awaitable[Hookline]]


@pytest.fixture
async def start(db_url: str) -> AsyncIterator[StartHookline]:
    """Start Hookline on this test's database, with settings overridden as given."""
    started: list[Hookline] = []

    async def _start(
        *, with_worker: bool = True, resolver: Any = None, **overrides: Any
    ) -> Hookline:
        hl = await start_hookline(
            settings_for(db_url, **overrides), with_worker=with_worker, resolver=resolver
        )
        started.append(hl)
        return hl

    yield _start
    for hl in reversed(started):
        await hl.stop()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for tests of what only PostgreSQL does."""
    url = await _templates.create()
    try:
        yield url
    finally:
        await _templates.drop(url)


@pytest.fixture
async def hookline(start: StartHookline) -> Hookline:
    return await start()


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    """Start receivers on 127.0.0.1: `await receivers(statuses=[500, 200])`."""
    running: list[Receiver] = []

    async def _make(**kw: Any) -> Receiver:
        r = await Receiver(**kw).start()
        running.append(r)
        return r

    yield _make
    for r in running:
        await r.stop()
