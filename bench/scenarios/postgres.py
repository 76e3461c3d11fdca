"""Scenario 7, PostgreSQL: scenarios 2 (end to end) and 3 (drain) against a fresh
database on 127.0.0.1:5432, with 1 api + 1 worker and 1 api + 2 workers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bench.processes import run_hookline
from bench.report import Row
from bench.scenarios.common import Context, drain, end_to_end

NAME = "postgres"
WORKER_COUNTS = (1, 2)


def _with_db(url: str, name: str) -> str:
    return f"{url.rsplit('/', 1)[0]}/{name}"


@asynccontextmanager
async def fresh_database(admin_url: str) -> AsyncIterator[str]:
    """CREATE DATABASE hl_bench_…; yields its URL; DROP … WITH (FORCE) afterwards."""
    name = f"hl_bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield _with_db(admin_url, name)
    finally:
        conn = await asyncpg.connect(admin_url, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def run(ctx: Context) -> list[Row]:
    cfg = ctx.config
    try:
        conn = await asyncpg.connect(cfg.postgres_url, timeout=5)
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
    except (OSError, asyncpg.PostgresError) as exc:
        ctx.log(f"skipped: PostgreSQL unreachable at {cfg.postgres_url} ({exc})")
        ctx.details[NAME] = {"skipped": str(exc)}
        return [Row(NAME, "skipped: PostgreSQL unreachable", None, "", note=str(exc))]
    rows: list[Row] = []
    details: dict[str, object] = {"server_version": version}
    for workers in WORKER_COUNTS:
        label = f"1 api + {workers} worker{'s' if workers > 1 else ''}"
        ctx.log(f"e2e, {label}")
        async with fresh_database(cfg.postgres_url) as url:
            data_dir = ctx.fresh_dir(f"{NAME}-e2e-{workers}w")
            run_hookline(["migrate"], env=ctx.env(url, data_dir), log_dir=data_dir, name="migrate")
            e2e = await end_to_end(
                ctx, database_url=url, data_dir=data_dir, workers=workers, count=cfg.messages
            )
        details[f"e2e_{workers}w"] = e2e
        rate = e2e["rate_per_s"]
        ctx.log(f"e2e {label}: {rate or 0:,.0f}/s")
        rows.append(
            Row(
                NAME,
                f"e2e, {label}",
                rate,
                "msg/s",
                ctx.ratio(rate),
                note=f"publish {e2e['publish']['rate_per_s']:,.0f}/s meanwhile; "
                f"p50 {e2e['latency']['p50_ms'] or 0:.0f} ms, "
                f"p99 {e2e['latency']['p99_ms'] or 0:.0f} ms",
            )
        )
        ctx.log(f"drain, {workers} worker{'s' if workers > 1 else ''}")
        async with fresh_database(cfg.postgres_url) as url:
            data_dir = ctx.fresh_dir(f"{NAME}-drain-{workers}w")
            dr = await drain(
                ctx,
                database_url=url,
                data_dir=data_dir,
                count=cfg.messages,
                workers=workers,
                migrate=True,
            )
        details[f"drain_{workers}w"] = dr
        rate = dr["rate_per_s"]
        ctx.log(f"drain, {workers} worker{'s' if workers > 1 else ''}: {rate or 0:,.0f}/s")
        rows.append(
            Row(
                NAME,
                f"drain, {workers} worker{'s' if workers > 1 else ''}",
                rate,
                "msg/s",
                ctx.ratio(rate),
                note=f"backlog published by the api alone at {dr['publish']['rate_per_s']:,.0f}/s",
            )
        )
    ctx.details[NAME] = details
    return rows
