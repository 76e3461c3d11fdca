"""Calling the services directly: a Context built as app.py builds it, and shortcuts
that make the tenants, endpoints and messages a service test starts from."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any, TypeVar

from hookline.app import Runtime
from hookline.domain.models import Delivery, Endpoint, Principal, Role, Tenant
from hookline.domain.network_policy import IPAddress
from hookline.services import deliveries, endpoints, event_types, publish, tenants
from hookline.services.context import Context
from hookline.services.endpoint_rules import EndpointSpec
from support.databases import sqlite_url
from support.harness import settings_for

# Operator-wide keys of each role. The services judge a principal by its role and
# tenant; only sessions and key revocation look the key itself up.
ADMIN = Principal("key_operator_admin", Role.ADMIN, None)
CI = Principal("key_operator_ci", Role.CI, None)
RUNTIME = Principal("key_operator_runtime", Role.RUNTIME, None)
PRINCIPALS = {Role.ADMIN: ADMIN, Role.CI: CI, Role.RUNTIME: RUNTIME}

T = TypeVar("T")


def bound(tenant: Tenant | str, role: Role = Role.ADMIN) -> Principal:
    """A key of `role` bound to one tenant."""
    tenant_id = tenant if isinstance(tenant, str) else tenant.id
    return Principal(f"key_{role.value}_{tenant_id}", role, tenant_id)


class StaticResolver:
    """DNS for endpoint hosts at registration: every name answers these addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses: list[IPAddress] = [ip_address(a) for a in addresses]
        self.asked: list[str] = []

    async def resolve(self, host: str) -> list[IPAddress]:
        self.asked.append(host)
        return list(self.addresses)


async def build_runtime(db_url: str, *, resolver: Any = None, **overrides: Any) -> Runtime:
    """The Runtime `hookline serve` builds, on an already migrated database, prepared as
    at start-up (the built-in event type; no admin key is made)."""
    runtime = Runtime.build(settings_for(db_url, **overrides), resolver=resolver)
    await runtime.prepare(migrate_schema=False, bootstrap_admin=False)
    return runtime


def unopened_context(directory: Path) -> Context:
    """The Context app.py builds, on a SQLite file it never opens: for the parts of the
    services that need its keys and policy but no database (token signing)."""
    return Runtime.build(settings_for(sqlite_url(directory))).ctx


@dataclass
class World:
    """A Runtime's Context and shortcuts through the services (as an operator admin)."""

    runtime: Runtime

    @property
    def ctx(self) -> Context:
        return self.runtime.ctx

    async def event_type(self, name: str, **kw: Any) -> None:
        await event_types.create(self.ctx, ADMIN, name=name, **kw)

    async def tenant(self, name: str = "Acme", **kw: Any) -> Tenant:
        return await tenants.create(self.ctx, ADMIN, name=name, **kw)

    async def endpoint(
        self,
        tenant: Tenant | str,
        url: str = "https://hooks.example.com/in",
        events: Iterable[str] = ("*",),
        **kw: Any,
    ) -> Endpoint:
        tenant_id = tenant if isinstance(tenant, str) else tenant.id
        spec = EndpointSpec(url=url, events=list(events), **kw)
        return (await endpoints.create(self.ctx, ADMIN, tenant=tenant_id, spec=spec)).endpoint

    async def publish(
        self, tenant: Tenant | str, event_type: str = "webhook.test", payload: Any = None, **kw: Any
    ) -> publish.Published:
        tenant_id = tenant if isinstance(tenant, str) else tenant.id
        return await publish.publish(
            self.ctx,
            ADMIN,
            tenant=tenant_id,
            event_type=event_type,
            payload={"n": 1} if payload is None else payload,
            **kw,
        )

    async def delivered(
        self, tenant: Tenant | str, delivery_ids: Iterable[str], timeout: float = 15.0
    ) -> list[Delivery]:
        """Run the worker until every one of these deliveries is final; return them."""
        tenant_id = tenant if isinstance(tenant, str) else tenant.id
        ids = list(delivery_ids)

        async def all_final() -> list[Delivery] | None:
            found = [
                await deliveries.get(self.ctx, ADMIN, tenant=tenant_id, delivery=d) for d in ids
            ]
            return found if all(d.status.is_final for d in found) else None

        return await self.run_worker_until(all_final, timeout=timeout)

    async def run_worker_until(
        self, check: Callable[[], Awaitable[T | None]], *, timeout: float = 15.0
    ) -> T:
        """Run a worker (as `hookline worker` would) until `check` returns something."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.runtime.worker().run(stop))
        deadline = time.monotonic() + timeout
        try:
            while True:
                result = await check()
                if result is not None:
                    return result
                if task.done():
                    task.result()
                    raise AssertionError("the worker stopped on its own")
                if time.monotonic() > deadline:
                    raise AssertionError(f"nothing came of the worker within {timeout}s")
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)
