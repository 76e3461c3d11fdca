"""Every operation of Hookline's API, described once: each resource group's methods, with
the public signature and docstring, build the request (`Call`) or the pages of a list
(`Pages`) — path, query, body, headers, how the answer is read. `Client` and
`AsyncClient` use these groups as they are (`Tenants` is `TenantOperations[Blocking]`,
`AsyncTenants` is `TenantOperations[Awaiting]`); `methods` sends what they describe."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Unpack

from hookline.client.calls import Call, Pages, delete, get, pages, params, segment, send
from hookline.client.inputs import (
    EndpointOptions,
    EndpointPatch,
    EndpointSettings,
    EventTypePatch,
    TenantPatch,
)
from hookline.client.methods import Group, Mode, call, listing
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

# -- paths -----------------------------------------------------------------------------


def _tenant(tenant: str) -> str:
    return f"/v1/tenants/{segment(tenant)}"


def _endpoint(tenant: str, endpoint: str | None = None) -> str:
    path = f"{_tenant(tenant)}/endpoints"
    return path if endpoint is None else f"{path}/{segment(endpoint)}"


def _delivery(tenant: str, delivery: str) -> str:
    return f"{_tenant(tenant)}/deliveries/{segment(delivery)}"


def _event_type(name: str | None = None) -> str:
    return "/v1/event-types" if name is None else f"/v1/event-types/{segment(name)}"


class TenantOperations(Group[Mode]):
    @call
    def create(
        self,
        *,
        name: str,
        uid: str | None = None,
        metadata: dict[str, Any] | None = None,
        max_endpoints: int | None = None,
    ) -> Call[Tenant]:
        body = params(name=name, uid=uid, metadata=metadata or {}, max_endpoints=max_endpoints)
        return send("POST", "/v1/tenants", Tenant, body)

    @call
    def get(self, tenant: str) -> Call[Tenant]:
        return get(_tenant(tenant), Tenant)

    @call
    def update(self, tenant: str, **changes: Unpack[TenantPatch]) -> Call[Tenant]:
        return send("PATCH", _tenant(tenant), Tenant, changes)

    @call
    def delete(self, tenant: str) -> Call[None]:
        """Delete the tenant with everything it owns."""
        return delete(_tenant(tenant))

    @listing
    def list(self, *, page_size: int = 100) -> Pages[Tenant]:
        return pages("/v1/tenants", Tenant, limit=page_size)


class EventTypeOperations(Group[Mode]):
    @call
    def create(
        self, *, name: str, description: str = "", schema: dict[str, Any] | None = None
    ) -> Call[EventType]:
        body = {"name": name, "description": description, "schema": schema}
        return send("POST", _event_type(), EventType, body)

    @call
    def get(self, name: str) -> Call[EventType]:
        return get(_event_type(name), EventType)

    @call
    def update(self, name: str, **changes: Unpack[EventTypePatch]) -> Call[EventType]:
        return send("PATCH", _event_type(name), EventType, changes)

    @call
    def archive(self, name: str) -> Call[None]:
        """Existing subscriptions keep working; new ones are refused."""
        return delete(_event_type(name))

    @listing
    def list(self, *, include_archived: bool = False, page_size: int = 100) -> Pages[EventType]:
        return pages(_event_type(), EventType, limit=page_size, include_archived=include_archived)


def _endpoint_deliveries(
    group: object,
    *,
    tenant: str,
    endpoint: str,
    status: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = 100,
) -> Pages[Delivery]:
    return pages(
        _endpoint(tenant, endpoint) + "/deliveries",
        Delivery,
        limit=page_size,
        status=status,
        event_type=event_type,
        since=since,
        until=until,
    )


class EndpointOperations(Group[Mode]):
    @call
    def create(
        self, *, tenant: str, url: str, events: list[str], **options: Unpack[EndpointOptions]
    ) -> Call[Endpoint]:
        """Register an endpoint; the answer's `secret` is shown this once."""
        body = {"url": url, "events": events, **options}
        return send("POST", _endpoint(tenant), Endpoint, body)

    @call
    def get(self, *, tenant: str, endpoint: str) -> Call[Endpoint]:
        return get(_endpoint(tenant, endpoint), Endpoint)

    @call
    def update(
        self, *, tenant: str, endpoint: str, **changes: Unpack[EndpointPatch]
    ) -> Call[Endpoint]:
        return send("PATCH", _endpoint(tenant, endpoint), Endpoint, changes)

    @call
    def put(
        self,
        *,
        tenant: str,
        uid: str,
        url: str,
        events: list[str],
        **options: Unpack[EndpointSettings],
    ) -> Call[Endpoint]:
        """Create or replace the endpoint with this uid (`secret` is set when created)."""
        body = {"url": url, "events": events, **options}
        return send("PUT", _endpoint(tenant, uid), Endpoint, body)

    @call
    def delete(self, *, tenant: str, endpoint: str) -> Call[None]:
        return delete(_endpoint(tenant, endpoint))

    @call
    def rotate_secret(
        self,
        *,
        tenant: str,
        endpoint: str,
        grace_period: int | None = None,
        secret: str | None = None,
    ) -> Call[RotatedSecret]:
        """A new secret (shown once); the old one keeps signing for `grace_period` s."""
        body = params(grace_period=grace_period, secret=secret)
        return send("POST", _endpoint(tenant, endpoint) + "/rotate-secret", RotatedSecret, body)

    @call
    def test(
        self,
        *,
        tenant: str,
        endpoint: str,
        event_type: str | None = None,
        payload: Any = None,
        wait: bool = False,
    ) -> Call[TestResult]:
        """Send `webhook.test` (or the given event) to this endpoint alone; with `wait`,
        answer with the first attempt's outcome."""
        body = params(event_type=event_type, payload=payload)
        return send("POST", _endpoint(tenant, endpoint) + "/test", TestResult, body, wait=wait)

    @call
    def recover(
        self, *, tenant: str, endpoint: str, since: datetime, until: datetime | None = None
    ) -> Call[int]:
        """Send again every failed or expired delivery of this endpoint created in the
        window; returns how many."""
        body = params(since=since, until=until)
        path = _endpoint(tenant, endpoint) + "/recover"
        return Call("POST", path, lambda r: int(r.json()["recovered"]), body)

    deliveries = listing(
        _endpoint_deliveries, "The Deliveries tab: this endpoint's deliveries, filtered."
    )

    @listing
    def list(self, *, tenant: str, page_size: int = 100) -> Pages[Endpoint]:
        return pages(_endpoint(tenant), Endpoint, limit=page_size)


class MessageOperations(Group[Mode]):
    @call
    def publish(
        self,
        *,
        tenant: str,
        event_type: str,
        payload: Any,
        idempotency_key: str | None = None,
        ordering_key: str | None = None,
        channels: list[str] | None = None,
    ) -> Call[Message]:
        """Publish an event. Without `idempotency_key` one is made, so the retries of
        this call never publish it twice. With `channels`, endpoints that listen to
        channels get it only when they listen to one of these."""
        # One key for every try: a publish retried after a lost answer is not duplicated.
        key = idempotency_key or f"hlc_{uuid.uuid4().hex}"
        body = params(event_type=event_type, ordering_key=ordering_key, channels=channels)
        body["payload"] = payload
        return Call(
            "POST",
            f"{_tenant(tenant)}/messages",
            lambda r: Message.from_json(r.json()),
            body,
            headers={"Idempotency-Key": key},
            repeatable=True,
        )

    @call
    def get(self, *, tenant: str, message: str) -> Call[Message]:
        """One message with the status of each of its deliveries."""
        return get(f"{_tenant(tenant)}/messages/{segment(message)}", Message)

    @listing
    def list(
        self,
        *,
        tenant: str,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = 100,
        channel: str | None = None,
    ) -> Pages[Message]:
        return pages(
            f"{_tenant(tenant)}/messages",
            Message,
            limit=page_size,
            event_type=event_type,
            since=since,
            until=until,
            channel=channel,
        )


class DeliveryOperations(Group[Mode]):
    @call
    def get(self, *, tenant: str, delivery: str) -> Call[Delivery]:
        return get(_delivery(tenant, delivery), Delivery)

    @listing
    def attempts(self, *, tenant: str, delivery: str, page_size: int = 100) -> Pages[Attempt]:
        return pages(_delivery(tenant, delivery) + "/attempts", Attempt, limit=page_size)

    @call
    def retry(self, *, tenant: str, delivery: str) -> Call[Delivery]:
        """Send it again now, with the same webhook-id."""
        return send("POST", _delivery(tenant, delivery) + "/retry", Delivery)

    list = listing(
        _endpoint_deliveries, "An endpoint's deliveries (the same as `endpoints.deliveries`)."
    )


class ApiKeyOperations(Group[Mode]):
    @call
    def create(self, *, name: str, role: str, tenant_id: str | None = None) -> Call[ApiKey]:
        """A new key; the answer's `key` is shown this once."""
        body = {"name": name, "role": role, "tenant_id": tenant_id}
        return send("POST", "/v1/api-keys", ApiKey, body)

    @call
    def revoke(self, key_id: str) -> Call[None]:
        return delete(f"/v1/api-keys/{segment(key_id)}")

    @listing
    def list(self, *, include_revoked: bool = False, page_size: int = 100) -> Pages[ApiKey]:
        return pages("/v1/api-keys", ApiKey, limit=page_size, include_revoked=include_revoked)
