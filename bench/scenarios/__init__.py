"""The scenarios of issues 8 and 18, in the order they run. Each module has a `NAME` and
`async def run(ctx) -> list[Row]`, and puts its details in `ctx.details[NAME]`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bench.report import Row
from bench.scenarios import (
    ceiling,
    default_endpoint,
    drain,
    e2e,
    fanout,
    latency,
    memory,
    noisy,
    postgres,
)
from bench.scenarios.common import Context

Scenario = Callable[[Context], Awaitable[list[Row]]]

SCENARIOS: dict[str, Scenario] = {
    m.NAME: m.run
    for m in (ceiling, e2e, drain, default_endpoint, latency, fanout, noisy, postgres, memory)
}
ALIASES = {
    "default-endpoint": "default_endpoint",
    "default": "default_endpoint",
    "fan-out": "fanout",
    "pg": "postgres",
    "postgresql": "postgres",
    "rss": "memory",
}
# Scenarios whose figures are ratios to the ceiling: it runs first whenever they run.
NEED_CEILING = frozenset({"e2e", "drain", "fanout", "noisy", "postgres", "memory"})
