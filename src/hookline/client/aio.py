"""`AsyncClient`, the API for asyncio, and its resource groups: the same groups as
`Client`'s (`operations` describes them once), in the `Awaiting` mode: calls are awaited
and lists walked by `async for`. `_run` sends a call with the retries of `retry`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Self, TypeVar

import httpx

from hookline.client import operations
from hookline.client.calls import Call, Pages
from hookline.client.connection import http_options
from hookline.client.methods import Awaiting
from hookline.client.retry import Retry

T = TypeVar("T")


class AsyncTenants(operations.TenantOperations[Awaiting]): ...


class AsyncEventTypes(operations.EventTypeOperations[Awaiting]): ...


class AsyncEndpoints(operations.EndpointOperations[Awaiting]): ...


class AsyncMessages(operations.MessageOperations[Awaiting]): ...


class AsyncDeliveries(operations.DeliveryOperations[Awaiting]): ...


class AsyncApiKeys(operations.ApiKeyOperations[Awaiting]): ...


class AsyncClient:
    """The API for asyncio; the same resources as `Client`, awaited (lists: `async for`)."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        options = http_options(url, api_key, headers, timeout)
        self.url: str = options["base_url"]
        self._http = httpx.AsyncClient(transport=transport, **options)
        self._retry = Retry(max_retries, retry_backoff)
        self.tenants = AsyncTenants(self)
        self.event_types = AsyncEventTypes(self)
        self.endpoints = AsyncEndpoints(self)
        self.messages = AsyncMessages(self)
        self.deliveries = AsyncDeliveries(self)
        self.api_keys = AsyncApiKeys(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run(self, call: Call[T]) -> T:
        tries = 0
        while True:
            try:
                resp = await self._http.request(
                    call.method, call.path, json=call.body, params=call.params, headers=call.headers
                )
            except httpx.TransportError as exc:
                await asyncio.sleep(self._retry.wait_after(call, exc, tries))
            else:
                if resp.is_success:
                    return call.parse(resp)
                await asyncio.sleep(self._retry.wait_after(call, resp, tries))
            tries += 1

    async def _iterate(self, pages: Pages[T]) -> AsyncIterator[T]:
        cursor: str | None = None
        while True:
            page = await self._run(pages(cursor))
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor
