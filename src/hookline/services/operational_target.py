"""Set-up of the operational webhook (HOOKLINE_OPERATIONAL_WEBHOOK_URL): an internal
tenant with one endpoint that receives `endpoint.disabled`, `endpoint.failing` and
`delivery.expired` through the ordinary delivery pipeline."""

from __future__ import annotations

import logging

from hookline.domain.clock import utcnow
from hookline.domain.models import EndpointSecrets, EventType, Principal, Role
from hookline.domain.operational_events import (
    ENDPOINT_UID,
    EVENT_TYPES,
    TENANT_UID,
    OperationalTarget,
)
from hookline.services import endpoints, tenants
from hookline.services.context import Context
from hookline.services.endpoint_rules import EndpointSpec
from hookline.store import endpoints as endpoint_store
from hookline.store import event_types as event_type_store
from hookline.store import tenants as tenant_store

log = logging.getLogger(__name__)

SYSTEM = Principal(key_id="system", role=Role.ADMIN, tenant_id=None)


async def ensure_target(ctx: Context, *, url: str, secret: str | None) -> OperationalTarget:
    """Create or update the internal tenant and endpoint; returns where events go."""
    now = utcnow()
    async with ctx.db.write() as conn:
        for name, description in EVENT_TYPES.items():
            if await event_type_store.get_event_type(conn, name) is None:
                await event_type_store.insert_event_type(
                    conn, EventType(name, description, None, False, now, now)
                )
        tenant = await tenant_store.get_tenant(conn, TENANT_UID)
    if tenant is None:
        tenant = await tenants.create(
            ctx, SYSTEM, name="Hookline operational events", uid=TENANT_UID, max_endpoints=1
        )
    spec = EndpointSpec(
        url=url,
        events=sorted(EVENT_TYPES),
        uid=ENDPOINT_UID,
        description="Hookline's own events for the operator",
        secret=secret,
        generate_secret=False,
    )
    result, created = await endpoints.put(
        ctx, SYSTEM, tenant=tenant.id, uid=ENDPOINT_UID, spec=spec
    )
    if not created:
        async with ctx.db.write() as conn:
            current = await endpoint_store.get_secrets(conn, result.endpoint.id, cipher=ctx.cipher)
            if current.current != secret:
                await endpoint_store.set_secrets(
                    conn,
                    result.endpoint.id,
                    secrets=EndpointSecrets(secret),
                    cipher=ctx.cipher,
                    now=utcnow(),
                )
    if secret is None:
        log.warning(
            "operational webhooks are sent unsigned: set HOOKLINE_OPERATIONAL_WEBHOOK_SECRET"
        )
    return OperationalTarget(tenant_id=tenant.id, endpoint_id=result.endpoint.id)
