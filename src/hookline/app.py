"""The composition root: settings → store, cipher, wake-up, services, worker, web app.

Only this module and `cli.py` wire concrete pieces together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import FastAPI

from hookline.api.app import create_app
from hookline.dashboard import routes as dashboard
from hookline.delivery.http_client import HttpSender
from hookline.delivery.worker import Worker, WorkerConfig
from hookline.domain.encryption import Cipher, new_master_key, parse_master_key
from hookline.domain.retry import RetryPolicy
from hookline.services import api_keys, event_types
from hookline.services.context import Context, Policy
from hookline.settings import Settings
from hookline.store import migrate
from hookline.store.database import Database
from hookline.store.wakeup import Wakeup

log = logging.getLogger("hookline")

MASTER_KEY_FILE = "master.key"


class ConfigurationError(Exception):
    pass


def load_cipher(settings: Settings) -> Cipher:
    """The master key from HOOKLINE_SECRET_KEY or, embedded, from the data directory.

    Embedded (SQLite) mode generates the key file on first start (mode 0600). With
    PostgreSQL every process must share one key, so it has to be configured.
    """
    old = [parse_master_key(k) for k in settings.previous_secret_keys.split(",") if k.strip()]
    if settings.secret_key:
        return Cipher([parse_master_key(settings.secret_key), *old])
    if not settings.is_sqlite:
        raise ConfigurationError(
            "HOOKLINE_SECRET_KEY is required with PostgreSQL (every process must share it); "
            "generate one with: hookline generate-key"
        )
    path = settings.resolved_data_dir() / MASTER_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(new_master_key() + "\n")
        log.info("generated a master key in %s", path)
    return Cipher([parse_master_key(path.read_text()), *old])


def policy_of(settings: Settings) -> Policy:
    return Policy(
        allow_http=settings.allow_http,
        allow_private_targets=settings.allow_private_targets,
        retry=RetryPolicy.parse(settings.retry_schedule),
        max_endpoints_per_tenant=settings.max_endpoints_per_tenant,
        max_payload_bytes=settings.max_payload_bytes,
    )


def _listen_dsn(db: Database) -> str | None:
    if db.is_sqlite:
        return None
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    ctx: Context
    admin_key_created: str | None = None
    worker_stop: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        db = Database(settings.database_url)
        ctx = Context(
            db=db,
            cipher=load_cipher(settings),
            wakeup=Wakeup(postgres_dsn=_listen_dsn(db)),
            policy=policy_of(settings),
        )
        return cls(settings=settings, db=db, ctx=ctx)

    async def prepare(self, *, migrate_schema: bool = True, bootstrap_admin: bool = True) -> None:
        """Migrate, make sure `webhook.test` exists, and make the first admin key."""
        if migrate_schema:
            await migrate.upgrade(self.db)
        await event_types.ensure_builtin(self.ctx)
        if bootstrap_admin:
            self.admin_key_created = await api_keys.bootstrap_admin(
                self.ctx, self.settings.admin_key
            )

    def worker(self) -> Worker:
        s = self.settings
        return Worker(
            db=self.db,
            cipher=self.ctx.cipher,
            wakeup=self.ctx.wakeup,
            sender=HttpSender(
                allow_private_targets=s.allow_private_targets,
                max_connections=s.worker_concurrency,
            ),
            config=WorkerConfig(
                retry=self.ctx.policy.retry,
                concurrency=s.worker_concurrency,
                endpoint_max_in_flight=s.endpoint_max_in_flight,
                batch_size=s.claim_batch_size,
                lease_seconds=s.lease_seconds,
                poll_interval=s.poll_interval,
                shutdown_grace=s.shutdown_grace,
            ),
        )

    async def run_worker(self) -> None:
        await self.worker().run(self.worker_stop)

    def web_app(self, *, with_worker: bool) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            task = (
                asyncio.create_task(self.run_worker(), name="hookline-worker")
                if with_worker
                else None
            )
            try:
                yield
            finally:
                self.worker_stop.set()
                if task is not None:
                    await task
                await self.db.dispose()

        app = create_app(self.ctx, lifespan=lifespan)
        app.include_router(dashboard.router)
        return app

    async def close(self) -> None:
        await self.db.dispose()
