"""Every operation of Hookline's API, described once as a `Call` (or, for a list, as its
`Pages`): its path, query and body. The resource groups of `Client` and `AsyncClient` send
these and differ only in blocking or awaiting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from hookline.client.calls import Call, Pages, delete, get, pages, params, segment, send
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


# -- tenants ---------------------------------------------------------------------------


def create_tenant(
    name: str, uid: str | None, metadata: dict[str, Any] | None, max_endpoints: int | None
) -> Call[Tenant]:
    body = params(name=name, uid=uid, metadata=metadata or {}, max_endpoints=max_endpoints)
    return send("POST", "/v1/tenants", Tenant, body)


def get_tenant(tenant: str) -> Call[Tenant]:
    return get(_tenant(tenant), Tenant)


def update_tenant(tenant: str, changes: TenantPatch) -> Call[Tenant]:
    return send("PATCH", _tenant(tenant), Tenant, changes)


def delete_tenant(tenant: str) -> Call[None]:
    return delete(_tenant(tenant))


def list_tenants(page_size: int) -> Pages[Tenant]:
    return pages("/v1/tenants", Tenant, limit=page_size)


# -- event types -----------------------------------------------------------------------


def create_event_type(
    name: str, description: str, schema: dict[str, Any] | None
) -> Call[EventType]:
    body = {"name": name, "description": description, "schema": schema}
    return send("POST", _event_type(), EventType, body)


def get_event_type(name: str) -> Call[EventType]:
    return get(_event_type(name), EventType)


def update_event_type(name: str, changes: EventTypePatch) -> Call[EventType]:
    return send("PATCH", _event_type(name), EventType, changes)


def archive_event_type(name: str) -> Call[None]:
    return delete(_event_type(name))


def list_event_types(include_archived: bool, page_size: int) -> Pages[EventType]:
    return pages(_event_type(), EventType, limit=page_size, include_archived=include_archived)


# -- endpoints -------------------------------------------------------------------------


def create_endpoint(
    tenant: str, url: str, events: list[str], options: EndpointOptions
) -> Call[Endpoint]:
    body = {"url": url, "events": events, **options}
    return send("POST", _endpoint(tenant), Endpoint, body)


def get_endpoint(tenant: str, endpoint: str) -> Call[Endpoint]:
    return get(_endpoint(tenant, endpoint), Endpoint)


def update_endpoint(tenant: str, endpoint: str, changes: EndpointPatch) -> Call[Endpoint]:
    return send("PATCH", _endpoint(tenant, endpoint), Endpoint, changes)


def put_endpoint(
    tenant: str, uid: str, url: str, events: list[str], options: EndpointSettings
) -> Call[Endpoint]:
    body = {"url": url, "events": events, **options}
    return send("PUT", _endpoint(tenant, uid), Endpoint, body)


def delete_endpoint(tenant: str, endpoint: str) -> Call[None]:
    return delete(_endpoint(tenant, endpoint))


def rotate_secret(
    tenant: str, endpoint: str, grace_period: int | None, secret: str | None
) -> Call[RotatedSecret]:
    body = params(grace_period=grace_period, secret=secret)
    return send("POST", _endpoint(tenant, endpoint) + "/rotate-secret", RotatedSecret, body)


def send_test_event(
    tenant: str, endpoint: str, event_type: str | None, payload: Any, wait: bool
) -> Call[TestResult]:
    body = params(event_type=event_type, payload=payload)
    return send("POST", _endpoint(tenant, endpoint) + "/test", TestResult, body, wait=wait)


def recover(tenant: str, endpoint: str, since: datetime, until: datetime | None) -> Call[int]:
    body = params(since=since, until=until)
    path = _endpoint(tenant, endpoint) + "/recover"
    return Call("POST", path, lambda r: int(r.json()["recovered"]), body)


def list_endpoint_deliveries(
    tenant: str,
    endpoint: str,
    status: str | None,
    event_type: str | None,
    since: datetime | None,
    until: datetime | None,
    page_size: int,
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


def list_endpoints(tenant: str, page_size: int) -> Pages[Endpoint]:
    return pages(_endpoint(tenant), Endpoint, limit=page_size)


# -- messages --------------------------------------------------------------------------


def publish(
    tenant: str,
    event_type: str,
    payload: Any,
    idempotency_key: str | None,
    ordering_key: str | None,
    channels: list[str] | None = None,
) -> Call[Message]:
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


def get_message(tenant: str, message: str) -> Call[Message]:
    return get(f"{_tenant(tenant)}/messages/{segment(message)}", Message)


def list_messages(
    tenant: str,
    event_type: str | None,
    since: datetime | None,
    until: datetime | None,
    page_size: int,
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


# -- deliveries ------------------------------------------------------------------------


def get_delivery(tenant: str, delivery: str) -> Call[Delivery]:
    return get(_delivery(tenant, delivery), Delivery)


def list_attempts(tenant: str, delivery: str, page_size: int) -> Pages[Attempt]:
    return pages(_delivery(tenant, delivery) + "/attempts", Attempt, limit=page_size)


def retry_delivery(tenant: str, delivery: str) -> Call[Delivery]:
    return send("POST", _delivery(tenant, delivery) + "/retry", Delivery)


# -- API keys --------------------------------------------------------------------------


def create_api_key(name: str, role: str, tenant_id: str | None) -> Call[ApiKey]:
    body = {"name": name, "role": role, "tenant_id": tenant_id}
    return send("POST", "/v1/api-keys", ApiKey, body)


def revoke_api_key(key_id: str) -> Call[None]:
    return delete(f"/v1/api-keys/{segment(key_id)}")


def list_api_keys(include_revoked: bool, page_size: int) -> Pages[ApiKey]:
    return pages("/v1/api-keys", ApiKey, limit=page_size, include_revoked=include_revoked)
