"""A typed Python client for Hookline's HTTP API, sync (`Client`) and async (`AsyncClient`).

    from hookline.client import Client

    with Client("https://hookline.internal", api_key="hl_ci_...") as hl:
        hl.messages.publish(tenant="acme", event_type="invoice.paid", payload={"id": 42})
        for ep in hl.endpoints.list(tenant="acme"):
            print(ep.url)

Lists iterate every page. Requests are retried with backoff when nothing can have been
done twice: on 429 and 503, on connection failures, and for requests that are safe to
repeat (reads, PUT, PATCH, DELETE, and publish, which always carries an idempotency
key) also on other 5xx answers and broken connections. Errors raise `HooklineError`
subclasses that carry the API's problem+json fields.

The client imports nothing of Hookline's server (only httpx), so publishers install
Hookline without running it.

The package: `operations` describes every call once, as the resource groups' methods
(`calls`: a request as data); `methods` makes those groups serve both clients, blocking
in `sync` (Client, Tenants, ...) and awaited in `aio` (AsyncClient, AsyncTenants, ...);
`retry` decides when to send again, `errors` what to raise, `connection` where to
connect; `models` are the answers and `inputs` the TypedDicts of PATCH changes and
endpoint settings.
"""

from __future__ import annotations

from hookline.client.aio import AsyncApiKeys as AsyncApiKeys
from hookline.client.aio import AsyncClient
from hookline.client.aio import AsyncDeliveries as AsyncDeliveries
from hookline.client.aio import AsyncEndpoints as AsyncEndpoints
from hookline.client.aio import AsyncEventTypes as AsyncEventTypes
from hookline.client.aio import AsyncMessages as AsyncMessages
from hookline.client.aio import AsyncTenants as AsyncTenants
from hookline.client.connection import DEFAULT_URL as DEFAULT_URL
from hookline.client.connection import USER_AGENT as USER_AGENT
from hookline.client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FieldError,
    HooklineConnectionError,
    HooklineError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from hookline.client.inputs import (
    EndpointOptions,
    EndpointPatch,
    EndpointSettings,
    EventTypePatch,
    SignatureIn,
    TenantPatch,
)
from hookline.client.models import (
    ApiKey,
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EventType,
    Message,
    RotatedSecret,
    Signature,
    Tenant,
    TestResult,
)
from hookline.client.retry import MAX_DELAY as MAX_DELAY
from hookline.client.sync import ApiKeys as ApiKeys
from hookline.client.sync import Client
from hookline.client.sync import Deliveries as Deliveries
from hookline.client.sync import Endpoints as Endpoints
from hookline.client.sync import EventTypes as EventTypes
from hookline.client.sync import Messages as Messages
from hookline.client.sync import Tenants as Tenants

# Imported `as` themselves above: the resource groups and the defaults, importable by name
# as before but left out of `import *`.
__all__ = [
    "ApiKey",
    "AsyncClient",
    "Attempt",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "Delivery",
    "DeliveryStatus",
    "Endpoint",
    "EndpointOptions",
    "EndpointPatch",
    "EndpointSettings",
    "EventType",
    "EventTypePatch",
    "FieldError",
    "HooklineConnectionError",
    "HooklineError",
    "Message",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RotatedSecret",
    "ServerError",
    "Signature",
    "SignatureIn",
    "Tenant",
    "TenantPatch",
    "TestResult",
    "ValidationError",
]
