"""A real Hookline (API + worker) on 127.0.0.1, in the test's event loop, and an
HTTP client for it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from hookline.api.server_limits import BoundedHttpToolsProtocol
from hookline.app import Runtime
from hookline.domain.network_policy import HostResolver
from hookline.settings import Settings


class PromptServer(uvicorn.Server):
    """uvicorn's server, stopping as soon as it is asked to. uvicorn's own loop looks at
    `should_exit` every 0.1 s, and the suite starts and stops Hookline some 600 times."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.exit_asked = asyncio.Event()

    def ask_to_exit(self) -> None:
        self.should_exit = True
        self.exit_asked.set()

    async def main_loop(self) -> None:  # uvicorn's, waking at once when asked to exit
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.exit_asked.wait(), 0.1)
            should_exit = await self.on_tick(counter)


TEST_MASTER_KEY = "aG9va2xpbmUtdGVzdC1tYXN0ZXIta2V5LTMyYnl0ZXM"  # 32 bytes, base64url
FINAL = ("delivered", "failed", "expired")


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": TEST_MASTER_KEY,
        "allow_http": True,
        "allow_private_targets": True,
        "retry_schedule": "200ms,200ms",
        "poll_interval": 0.5,
        "lease_seconds": 30,
        "shutdown_grace": 5,
        "admin_key": None,
        # Load and crash tests publish far beyond 100 requests/s with one key; the rate
        # limit's own tests (tests/security/test_rate_limit.py) set it explicitly.
        "api_rate_limit": 0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Hookline:
    runtime: Runtime
    server: PromptServer
    task: asyncio.Task[None]
    url: str
    admin_key: str
    client: httpx.AsyncClient

    def as_key(self, key: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def stop(self) -> None:
        await self.client.aclose()
        self.server.ask_to_exit()
        await asyncio.wait_for(self.task, timeout=30)

    # -- shortcuts that assert success -------------------------------------------------

    async def call(self, method: str, path: str, expect: int | tuple[int, ...], **kw: Any) -> Any:
        resp = await self.client.request(method, path, **kw)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert resp.status_code in wanted, f"{method} {path} → {resp.status_code}: {resp.text}"
        return resp.json() if resp.content else None

    async def event_type(self, name: str, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST", "/v1/event-types", 201, json={"name": name, **body}
        )
        return result

    async def tenant(self, name: str = "Acme", **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST", "/v1/tenants", 201, json={"name": name, **body}
        )
        return result

    async def endpoint(
        self, tenant: str, url: str, events: list[str], **body: Any
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST",
            f"/v1/tenants/{tenant}/endpoints",
            201,
            json={"url": url, "events": events, **body},
        )
        return result

    async def publish(
        self, tenant: str, event_type: str, payload: Any, **kw: Any
    ) -> dict[str, Any]:
        headers = kw.pop("headers", None)
        result: dict[str, Any] = await self.call(
            "POST",
            f"/v1/tenants/{tenant}/messages",
            (200, 202),
            json={"event_type": event_type, "payload": payload, **kw},
            headers=headers,
        )
        return result

    async def message(self, tenant: str, message_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "GET", f"/v1/tenants/{tenant}/messages/{message_id}", 200
        )
        return result

    async def wait_final(
        self, tenant: str, message_id: str, timeout: float = 20.0
    ) -> dict[str, Any]:
        """Poll until every delivery of the message is final; return the message."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.message(tenant, message_id)
            if all(d["status"] in FINAL for d in msg["delivery_statuses"]):
                return msg
            if time.monotonic() > deadline:
                raise AssertionError(f"deliveries not final after {timeout}s: {msg}")
            await asyncio.sleep(0.05)

    async def attempts(self, tenant: str, delivery_id: str) -> list[dict[str, Any]]:
        page = await self.call(
            "GET", f"/v1/tenants/{tenant}/deliveries/{delivery_id}/attempts", 200
        )
        data: list[dict[str, Any]] = page["data"]
        return data


async def start_hookline(
    settings: Settings, *, with_worker: bool = True, resolver: HostResolver | None = None
) -> Hookline:
    """`resolver` stands in for DNS (endpoint hosts at registration and delivery)."""
    runtime = Runtime.build(settings, resolver=resolver)
    await runtime.prepare()
    admin_key = settings.admin_key or runtime.admin_key_created
    assert admin_key, "an admin key is created on first start"
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        runtime.served_app(with_worker=with_worker),
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="none",
        timeout_graceful_shutdown=5,
        http=BoundedHttpToolsProtocol,  # as `hookline serve` runs it
    )
    server = PromptServer(config)
    runtime.stop_server = server.ask_to_exit
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 15
    while not server.started:
        if task.done():
            task.result()
        if time.monotonic() > deadline:
            raise AssertionError("Hookline did not start within 15s")
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    client = httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
    )
    return Hookline(runtime, server, task, url, admin_key, client)
