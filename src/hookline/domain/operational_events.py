"""The names of Hookline's own events for the operator, what one carries, and where
they go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENDPOINT_DISABLED = "endpoint.disabled"
ENDPOINT_FAILING = "endpoint.failing"
DELIVERY_EXPIRED = "delivery.expired"
EVENT_TYPES = {
    ENDPOINT_DISABLED: "An endpoint was disabled (410 Gone, or failing for too long).",
    ENDPOINT_FAILING: "An endpoint's attempts failed N times in a row.",
    DELIVERY_EXPIRED: "A delivery failed every attempt of its retry schedule.",
}
TENANT_UID = "hookline-operational"
ENDPOINT_UID = "operational-webhook"


@dataclass(frozen=True, slots=True)
class OperationalTarget:
    """The internal tenant and endpoint that carry operational events."""

    tenant_id: str
    endpoint_id: str


@dataclass(frozen=True, slots=True)
class OperationalEvent:
    """One event for the operator: published as a message of the internal tenant."""

    event_type: str  # one of EVENT_TYPES
    payload: dict[str, Any]
