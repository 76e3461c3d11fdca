"""Publishing Hookline's own events for the operator (`endpoint.disabled`,
`endpoint.failing`, `delivery.expired`) to the internal tenant's one endpoint, through
`publish` like every other message. The composition root hands this to the worker's
recorder (`delivery.operational.OperationalSink`), which calls it inside the
transaction that writes the results the events are about."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.operational_events import OperationalEvent, OperationalTarget
from hookline.services import publish as publish_service
from hookline.services.context import Context
from hookline.services.operational_target import SYSTEM

log = logging.getLogger(__name__)


async def publish(
    ctx: Context,
    conn: AsyncConnection,
    target: OperationalTarget,
    events: Sequence[OperationalEvent],
) -> None:
    """Publish `events` to `target` in `conn`'s transaction. One that is refused (the
    endpoint deleted by hand, say) is logged and dropped: the results it is about are
    written all the same."""
    outcomes = await publish_service.publish_within(
        ctx,
        conn,
        SYSTEM,
        tenant=target.tenant_id,
        events=[(e.event_type, e.payload) for e in events],
        only_endpoint=target.endpoint_id,
    )
    for event, outcome in zip(events, outcomes, strict=True):
        if not isinstance(outcome, publish_service.Published):
            log.error("the operational event %s was not published: %s", event.event_type, outcome)
