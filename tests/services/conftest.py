"""Service tests: a Context built the way app.py's Runtime builds it, on each database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hookline.services.context import Context
from support.services import World, build_runtime


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    runtime = await build_runtime(db_url)
    try:
        yield World(runtime)
    finally:
        await runtime.close()


@pytest.fixture
def ctx(world: World) -> Context:
    return world.ctx
