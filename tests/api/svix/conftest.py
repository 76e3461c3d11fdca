"""The Svix door's tests: Svix's own Python SDK (from PyPI) against a real Hookline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from svix.api import SvixAsync, SvixOptions

from support.databases import SqliteTemplate
from support.harness import Hookline, settings_for, start_hookline

MakeSdk = Callable[..., SvixAsync]
_sqlite = SqliteTemplate()


@pytest.fixture
async def door_only(tmp_path: Any) -> AsyncIterator[Hookline]:
    """Hookline on SQLite alone, for tests of the door itself (paths, error shapes) that
    store nothing either database would keep differently."""
    hl = await start_hookline(settings_for(await _sqlite.create(tmp_path)))
    try:
        yield hl
    finally:
        await hl.stop()


@pytest.fixture
async def sdk(hookline: Hookline) -> AsyncIterator[MakeSdk]:
    """`sdk()`: Svix's async client with Hookline's admin key (or `sdk(key)`), pointed at
    Hookline by its server URL alone. No retries: a failure shows as it is."""
    made: list[SvixAsync] = []

    def _make(key: str | None = None) -> SvixAsync:
        client = SvixAsync(
            key or hookline.admin_key, SvixOptions(server_url=hookline.url, retry_schedule=[])
        )
        made.append(client)
        return client

    yield _make
    for client in made:
        await client._httpx_client.aclose()


@pytest.fixture
def svix_http(hookline: Hookline) -> Callable[..., httpx.AsyncClient]:
    """A plain HTTP client for /api/v1/ (what an SDK would send, written by hand)."""

    def _make(*key: str | None) -> httpx.AsyncClient:
        """No argument: the admin key; `None`: no key at all."""
        return hookline.as_key(key[0] if key else hookline.admin_key)

    return _make


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Poll `check` until it returns something truthy (bounded in time)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {check}")
        await asyncio.sleep(0.05)


async def key_for(hookline: Hookline, role: str, tenant: str | None = None) -> str:
    body: dict[str, Any] = {"name": f"{role} key", "role": role}
    if tenant is not None:
        body["tenant_id"] = tenant
    made = await hookline.call("POST", "/v1/api-keys", 201, json=body)
    key: str = made["key"]
    return key
