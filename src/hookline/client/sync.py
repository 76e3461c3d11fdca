"""`Client`, the API sent synchronously, and its resource groups (`client.tenants`,
`client.endpoints`, ...): the groups `operations` describes once, in the `Blocking`
mode. `_run` sends a call with the retries of `retry`; `_iterate` walks a list's pages."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Self, TypeVar

import httpx

from hookline.client import operations
from hookline.client.calls import Call, Pages
from hookline.client.connection import http_options
from hookline.client.methods import Blocking
from hookline.client.retry import Retry

T = TypeVar("T")


class Tenants(operations.TenantOperations[Blocking]): ...


class EventTypes(operations.EventTypeOperations[Blocking]): ...


class Endpoints(operations.EndpointOperations[Blocking]): ...


class Messages(operations.MessageOperations[Blocking]): ...


class Deliveries(operations.DeliveryOperations[Blocking]): ...


class ApiKeys(operations.ApiKeyOperations[Blocking]): ...


class Client:
    """The API, synchronously. `url` and `api_key` default to the HOOKLINE_URL and
    HOOKLINE_API_KEY environment variables (and http://127.0.0.1:8780)."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        options = http_options(url, api_key, headers, timeout)
        self.url: str = options["base_url"]
        self._http = httpx.Client(transport=transport, **options)
        self._retry = Retry(max_retries, retry_backoff)
        self.tenants = Tenants(self)
        self.event_types = EventTypes(self)
        self.endpoints = Endpoints(self)
        self.messages = Messages(self)
        self.deliveries = Deliveries(self)
        self.api_keys = ApiKeys(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, call: Call[T]) -> T:
        tries = 0
        while True:
            try:
                resp = self._http.request(
                    call.method, call.path, json=call.body, params=call.params, headers=call.headers
                )
            except httpx.TransportError as exc:
                time.sleep(self._retry.wait_after(call, exc, tries))
            else:
                if resp.is_success:
                    return call.parse(resp)
                time.sleep(self._retry.wait_after(call, resp, tries))
            tries += 1

    def _iterate(self, pages: Pages[T]) -> Iterator[T]:
        cursor: str | None = None
        while True:
            page = self._run(pages(cursor))
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor
