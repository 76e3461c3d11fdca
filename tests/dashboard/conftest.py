"""The dashboard's test world: a real Hookline with two tenants and real receivers.

Tenant A ("Acme") has an endpoint whose receiver always answers 500, so its deliveries
expire after three attempts; tenant B ("Globex") has one whose receiver answers 200.
`sign_in` logs a plain HTTP client in through the sign-in form, as a browser would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from dashboard.world import INVOICE_SCHEMA, SCREENSHOTS, World, csrf_of
from support.harness import Hookline
from support.receiver import Receiver


@pytest.fixture
async def hookline(start: Callable[..., Awaitable[Hookline]]) -> Hookline:
    """Hookline with a brisk retry schedule: the failing endpoint's deliveries expire
    (three attempts) within a fraction of a second."""
    return await start(retry_schedule="20ms,20ms")


@pytest.fixture
async def world(hookline: Hookline, receivers: Callable[..., Awaitable[Receiver]]) -> World:
    hl = hookline
    await hl.event_type("invoice.paid", description="An invoice was paid.", schema=INVOICE_SCHEMA)
    await hl.event_type("contact.created", description="A contact was added.")
    failing = await receivers(statuses=[500], body=b'{"error": "boom"}')
    healthy = await receivers(statuses=[200], body=b"thanks")
    tenant_a = await hl.tenant("Acme", uid="acme")
    tenant_b = await hl.tenant("Globex", uid="globex")
    endpoint_a = await hl.endpoint(
        tenant_a["id"], failing.url, ["invoice.paid"], description="Acme billing sync"
    )
    endpoint_b = await hl.endpoint(
        tenant_b["id"], healthy.url, ["*"], description="Globex CRM", uid="globex-crm"
    )
    published = [
        (tenant, await hl.publish(tenant, event_type, payload))
        for n in range(2)
        for tenant, event_type, payload in (
            (tenant_a["id"], "invoice.paid", {"invoice_id": f"in_{n}"}),
            (tenant_b["id"], "contact.created", {"name": f"Ada {n}"}),
        )
    ]
    finals = await asyncio.gather(*(hl.wait_final(t, m["id"]) for t, m in published))
    deliveries_a = [d["id"] for f in finals[0::2] for d in f["delivery_statuses"]]
    deliveries_b = [d["id"] for f in finals[1::2] for d in f["delivery_statuses"]]
    return World(
        hl,
        tenant_a,
        tenant_b,
        endpoint_a,
        endpoint_b,
        failing,
        healthy,
        deliveries_a,
        deliveries_b,
    )


SignIn = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def sign_in(hookline: Hookline) -> AsyncIterator[SignIn]:
    """`await sign_in(key)`: an HTTP client holding a dashboard session for that key."""
    clients: list[httpx.AsyncClient] = []

    async def _sign_in(key: str | None = None, **headers: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=hookline.url, timeout=30, headers=headers)
        clients.append(client)
        form = await client.get("/ui/login")
        assert form.status_code == 200
        resp = await client.post(
            "/ui/login", data={"key": key or hookline.admin_key, "csrf": csrf_of(form.text)}
        )
        assert resp.status_code == 303, resp.text
        assert "hookline_session" in client.cookies
        return client

    yield _sign_in
    for client in clients:
        await client.aclose()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
