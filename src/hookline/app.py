"""The composition root: settings → store, cipher, wake-up, services, worker, web app.

Only this module and `cli.py` wire concrete pieces together.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from hookline.delivery.http_client import HttpSender
from hookline.delivery.operational import OperationalSink
from hookline.delivery.recorder import HealthPolicy
from hookline.delivery.resolver import SystemResolver
from hookline.delivery.worker import Worker, WorkerConfig, WorkerFailed
from hookline.domain import api_keys as api_key_format
from hookline.domain.encryption import Cipher, new_master_key, parse_master_key
from hookline.domain.network_policy import HostResolver
from hookline.domain.operational_events import OperationalTarget
from hookline.domain.retry import RetryPolicy
from hookline.services import (
    api_keys,
    event_types,
    operational_events,
    operational_target,
    sessions,
)
from hookline.services.context import Context, Policy
from hookline.settings import Settings
from hookline.store import migrate
from hookline.store.database import Database
from hookline.store.wakeup import Wakeup

if TYPE_CHECKING:  # the web stack is imported only by processes that serve it
    from fastapi import FastAPI
    from starlette.types import ASGIApp

log = logging.getLogger("hookline")

MASTER_KEY_FILE = "master.key"


class ConfigurationError(Exception):
    pass


__all__ = ["ConfigurationError", "Runtime", "WorkerFailed"]


def load_master_keys(settings: Settings) -> list[bytes]:
    """The master keys, primary first: HOOKLINE_SECRET_KEY (or, embedded, a key file in
    the data directory) and HOOKLINE_PREVIOUS_SECRET_KEYS.

    Embedded (SQLite) mode generates the key file on first start (mode 0600). With
    PostgreSQL every process must share one key, so it has to be configured.
    """
    old = [parse_master_key(k) for k in settings.previous_secret_keys.split(",") if k.strip()]
    if settings.secret_key:
        return [parse_master_key(settings.secret_key), *old]
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
    return [parse_master_key(path.read_text()), *old]


def load_cipher(settings: Settings) -> Cipher:
    return Cipher(load_master_keys(settings))


def check_admin_key(key: str | None) -> None:
    """HOOKLINE_ADMIN_KEY may be any long random string, or a key made by Hookline."""
    if key is None:
        return
    if len(key) < 24:
        raise ConfigurationError("HOOKLINE_ADMIN_KEY must be at least 24 characters long")
    if api_key_format.role_of(key) is not None and not api_key_format.is_well_formed(key):
        raise ConfigurationError(
            "HOOKLINE_ADMIN_KEY starts like a Hookline key but its checksum is wrong (a typo?)"
        )


def policy_of(settings: Settings, resolver: HostResolver | None = None) -> Policy:
    return Policy(
        resolver=resolver or SystemResolver(),
        allow_http=settings.allow_http,
        allow_private_targets=settings.allow_private_targets,
        retry=RetryPolicy.parse(settings.retry_schedule),
        max_endpoints_per_tenant=settings.max_endpoints_per_tenant,
        max_payload_bytes=settings.max_payload_bytes,
        api_rate_limit=settings.api_rate_limit,
        api_rate_burst=settings.api_rate_burst,
        operator_api_rate_limit=settings.operator_api_rate_limit,
        operator_api_rate_burst=settings.operator_burst,
        metrics_token=settings.metrics_token,
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
    operational: OperationalTarget | None = None
    worker_stop: asyncio.Event = field(default_factory=asyncio.Event)
    # A stand-in for DNS (tests): answers for endpoint hosts at registration and delivery.
    resolver: HostResolver | None = None
    # In a web process with its worker (`serve`): how to stop the HTTP server when the
    # worker dies (set by whoever runs the server), and why it died.
    stop_server: Callable[[], None] | None = None
    worker_failure: BaseException | None = None

    @classmethod
    def build(cls, settings: Settings, *, resolver: HostResolver | None = None) -> Runtime:
        db = Database(
            settings.database_url,
            background_checkpoints=True,
            sqlite_driver=settings.sqlite_driver,
        )
        master_keys = load_master_keys(settings)
        ctx = Context(
            db=db,
            cipher=Cipher(master_keys),
            wakeup=Wakeup(postgres_dsn=_listen_dsn(db)),
            policy=policy_of(settings, resolver),
            signing_keys=tuple(sessions.derive_signing_key(k) for k in master_keys),
        )
        return cls(settings=settings, db=db, ctx=ctx, resolver=resolver)

    async def prepare(self, *, migrate_schema: bool = True, bootstrap_admin: bool = True) -> None:
        """Migrate, make sure `webhook.test` exists, and make the first admin key."""
        if migrate_schema:
            await migrate.upgrade(self.db)
        elif await migrate.current_revision(self.db) != migrate.head_revision():
            raise ConfigurationError(
                "the database schema is not up to date: run `hookline migrate` first "
                "(with the same HOOKLINE_DATABASE_URL)"
            )
        await event_types.ensure_builtin(self.ctx)
        if self.settings.operational_webhook_url:
            self.operational = await operational_target.ensure_target(
                self.ctx,
                url=self.settings.operational_webhook_url,
                secret=self.settings.operational_webhook_secret,
            )
        if bootstrap_admin:
            check_admin_key(self.settings.admin_key)
            self.admin_key_created = await api_keys.bootstrap_admin(
                self.ctx, self.settings.admin_key
            )

    def worker(self, *, beside_api: bool = False) -> Worker:
        """`beside_api`: the worker of `hookline serve`, in the process that publishes."""
        s = self.settings
        return Worker(
            db=self.db,
            cipher=self.ctx.cipher,
            wakeup=self.ctx.wakeup,
            sender=HttpSender(
                allow_private_targets=s.allow_private_targets,
                max_connections=s.worker_concurrency,
                resolver=self.resolver,
                ca_bundle=s.ca_bundle,
                egress_proxy=s.egress_proxy,
            ),
            config=WorkerConfig(
                retry=self.ctx.policy.retry,
                concurrency=s.worker_concurrency,
                endpoint_max_in_flight=s.endpoint_max_in_flight,
                batch_size=s.claim_batch_size,
                lease_seconds=s.lease_seconds,
                poll_interval=s.poll_interval,
                shutdown_grace=s.shutdown_grace,
                health=HealthPolicy(
                    disable_after=timedelta(seconds=s.disable_after_seconds),
                    failing_after=s.failing_alert_after,
                    operational=None
                    if self.operational is None
                    else OperationalSink(
                        self.operational, functools.partial(operational_events.publish, self.ctx)
                    ),
                ),
                retention_days=s.retention_days,
                retention_interval=s.retention_interval,
                claim_along=beside_api,
            ),
        )

    async def run_worker(self, *, beside_api: bool = False) -> None:
        await self.worker(beside_api=beside_api).run(self.worker_stop)

    def web_app(self, *, with_worker: bool) -> FastAPI:
        from hookline.api.app import create_app
        from hookline.dashboard import routes as dashboard

        worker = self.worker(beside_api=True) if with_worker else None

        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            task = None
            if worker is not None:
                task = asyncio.create_task(worker.run(self.worker_stop), name="hookline-worker")
                task.add_done_callback(self._worker_ended)
            try:
                yield
            finally:
                self.worker_stop.set()
                if task is not None:
                    await asyncio.wait([task])
                await self.db.dispose()

        app = create_app(self.ctx, lifespan=lifespan)
        # Readiness: in `serve`, the worker in this process must be running (/readyz).
        app.state.worker_running = (lambda: worker.running) if worker is not None else None
        app.state.public_url = self.settings.public_url  # portal links and Secure cookies
        app.include_router(dashboard.router)
        return app

    def _worker_ended(self, task: asyncio.Task[None]) -> None:
        """`serve` does not go on accepting work nobody delivers: when its worker dies,
        the server stops too (and the command exits non-zero)."""
        if task.cancelled() or self.worker_stop.is_set():
            return
        self.worker_failure = task.exception() or RuntimeError("the worker stopped")
        log.critical("stopping: the worker died (%s)", self.worker_failure)
        if self.stop_server is not None:
            self.stop_server()

    def served_app(self, *, with_worker: bool) -> ASGIApp:
        """What `serve` and `api` hand the HTTP server: `web_app` behind the publish
        fast path."""
        from hookline.api.app import served

        return served(self.web_app(with_worker=with_worker))

    async def close(self) -> None:
        await self.db.dispose()
