"""`Client`, the API sent synchronously, and its resource groups (`client.tenants`,
`client.endpoints`, ...). Each method sends the call `operations` describes; `_run`
sends it with the retries of `retry`, and `_iterate` walks the pages of a list."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Self, TypeVar, Unpack

import httpx

from hookline.client import operations
from hookline.client.calls import Call, Pages
from hookline.client.connection import http_options
from hookline.client.errors import connection_error, error_from_answer
from hookline.client.inputs import (
    EndpointOptions,
    EndpointPatch,
    EndpointSettings,
    EventTypePatch,
    TenantPatch,
)
from hookline.client.models import (
    ApiKey,
    Attempt,
    Delivery,
    Endpoint,
    EventType,
    Message,
    RotatedSecret,
    Tenant,
    TestResult,
)
from hookline.client.retry import Retry

T = TypeVar("T")


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
                delay = self._retry.after_failure(call, exc, tries)
                if delay is None:
                    raise connection_error(exc, call.method, call.path) from exc
            else:
                if resp.is_success:
                    return call.parse(resp)
                delay = self._retry.after_answer(call, resp, tries)
                if delay is None:
                    raise error_from_answer(resp)
            time.sleep(delay)
            tries += 1

    def _iterate(self, pages: Pages[T]) -> Iterator[T]:
        cursor: str | None = None
        while True:
            page = self._run(pages(cursor))
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor


class Tenants:
    def __init__(self, client: Client) -> None:
        self._c = client

    def create(
        self,
        *,
        name: str,
        uid: str | None = None,
        metadata: dict[str, Any] | None = None,
        max_endpoints: int | None = None,
    ) -> Tenant:
        return self._c._run(operations.create_tenant(name, uid, metadata, max_endpoints))

    def get(self, tenant: str) -> Tenant:
        return self._c._run(operations.get_tenant(tenant))

    def update(self, tenant: str, **changes: Unpack[TenantPatch]) -> Tenant:
        return self._c._run(operations.update_tenant(tenant, changes))

    def delete(self, tenant: str) -> None:
        """Delete the tenant with everything it owns."""
        self._c._run(operations.delete_tenant(tenant))

    def list(self, *, page_size: int = 100) -> Iterator[Tenant]:
        return self._c._iterate(operations.list_tenants(page_size))


class EventTypes:
    def __init__(self, client: Client) -> None:
        self._c = client

    def create(
        self, *, name: str, description: str = "", schema: dict[str, Any] | None = None
    ) -> EventType:
        return self._c._run(operations.create_event_type(name, description, schema))

    def get(self, name: str) -> EventType:
        return self._c._run(operations.get_event_type(name))

    def update(self, name: str, **changes: Unpack[EventTypePatch]) -> EventType:
        return self._c._run(operations.update_event_type(name, changes))

    def archive(self, name: str) -> None:
        """Existing subscriptions keep working; new ones are refused."""
        self._c._run(operations.archive_event_type(name))

    def list(self, *, include_archived: bool = False, page_size: int = 100) -> Iterator[EventType]:
        return self._c._iterate(operations.list_event_types(include_archived, page_size))


class Endpoints:
    def __init__(self, client: Client) -> None:
        self._c = client

    def create(
        self, *, tenant: str, url: str, events: list[str], **options: Unpack[EndpointOptions]
    ) -> Endpoint:
        """Register an endpoint; the answer's `secret` is shown this once."""
        return self._c._run(operations.create_endpoint(tenant, url, events, options))

    def get(self, *, tenant: str, endpoint: str) -> Endpoint:
        return self._c._run(operations.get_endpoint(tenant, endpoint))

    def update(self, *, tenant: str, endpoint: str, **changes: Unpack[EndpointPatch]) -> Endpoint:
        return self._c._run(operations.update_endpoint(tenant, endpoint, changes))

    def put(
        self,
        *,
        tenant: str,
        uid: str,
        url: str,
        events: list[str],
        **options: Unpack[EndpointSettings],
    ) -> Endpoint:
        """Create or replace the endpoint with this uid (`secret` is set when created)."""
        return self._c._run(operations.put_endpoint(tenant, uid, url, events, options))

    def delete(self, *, tenant: str, endpoint: str) -> None:
        self._c._run(operations.delete_endpoint(tenant, endpoint))

    def rotate_secret(
        self,
        *,
        tenant: str,
        endpoint: str,
        grace_period: int | None = None,
        secret: str | None = None,
    ) -> RotatedSecret:
        """A new secret (shown once); the old one keeps signing for `grace_period` s."""
        return self._c._run(operations.rotate_secret(tenant, endpoint, grace_period, secret))

    def test(
        self,
        *,
        tenant: str,
        endpoint: str,
        event_type: str | None = None,
        payload: Any = None,
        wait: bool = False,
    ) -> TestResult:
        """Send `webhook.test` (or the given event) to this endpoint alone; with `wait`,
        answer with the first attempt's outcome."""
        call = operations.send_test_event(tenant, endpoint, event_type, payload, wait)
        return self._c._run(call)

    def recover(
        self, *, tenant: str, endpoint: str, since: datetime, until: datetime | None = None
    ) -> int:
        """Send again every failed or expired delivery of this endpoint created in the
        window; returns how many."""
        return self._c._run(operations.recover(tenant, endpoint, since, until))

    def deliveries(
        self,
        *,
        tenant: str,
        endpoint: str,
        status: str | None = None,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = 100,
    ) -> Iterator[Delivery]:
        """The Deliveries tab: this endpoint's deliveries, filtered."""
        pages = operations.list_endpoint_deliveries(
            tenant, endpoint, status, event_type, since, until, page_size
        )
        return self._c._iterate(pages)

    def list(self, *, tenant: str, page_size: int = 100) -> Iterator[Endpoint]:
        return self._c._iterate(operations.list_endpoints(tenant, page_size))


class Messages:
    def __init__(self, client: Client) -> None:
        self._c = client

    def publish(
        self,
        *,
        tenant: str,
        event_type: str,
        payload: Any,
        idempotency_key: str | None = None,
        ordering_key: str | None = None,
        channels: list[str] | None = None,
    ) -> Message:
        """Publish an event. Without `idempotency_key` one is made, so the retries of
        this call never publish it twice. With `channels`, endpoints that listen to
        channels get it only when they listen to one of these."""
        call = operations.publish(
            tenant, event_type, payload, idempotency_key, ordering_key, channels
        )
        return self._c._run(call)

    def get(self, *, tenant: str, message: str) -> Message:
        """One message with the status of each of its deliveries."""
        return self._c._run(operations.get_message(tenant, message))

    def list(
        self,
        *,
        tenant: str,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = 100,
        channel: str | None = None,
    ) -> Iterator[Message]:
        pages = operations.list_messages(tenant, event_type, since, until, page_size, channel)
        return self._c._iterate(pages)


class Deliveries:
    def __init__(self, client: Client) -> None:
        self._c = client

    def get(self, *, tenant: str, delivery: str) -> Delivery:
        return self._c._run(operations.get_delivery(tenant, delivery))

    def attempts(self, *, tenant: str, delivery: str, page_size: int = 100) -> Iterator[Attempt]:
        return self._c._iterate(operations.list_attempts(tenant, delivery, page_size))

    def retry(self, *, tenant: str, delivery: str) -> Delivery:
        """Send it again now, with the same webhook-id."""
        return self._c._run(operations.retry_delivery(tenant, delivery))

    def list(
        self,
        *,
        tenant: str,
        endpoint: str,
        status: str | None = None,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = 100,
    ) -> Iterator[Delivery]:
        """An endpoint's deliveries (the same as `endpoints.deliveries`)."""
        pages = operations.list_endpoint_deliveries(
            tenant, endpoint, status, event_type, since, until, page_size
        )
        return self._c._iterate(pages)


class ApiKeys:
    def __init__(self, client: Client) -> None:
        self._c = client

    def create(self, *, name: str, role: str, tenant_id: str | None = None) -> ApiKey:
        """A new key; the answer's `key` is shown this once."""
        return self._c._run(operations.create_api_key(name, role, tenant_id))

    def revoke(self, key_id: str) -> None:
        self._c._run(operations.revoke_api_key(key_id))

    def list(self, *, include_revoked: bool = False, page_size: int = 100) -> Iterator[ApiKey]:
        return self._c._iterate(operations.list_api_keys(include_revoked, page_size))
