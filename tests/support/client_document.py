"""docs/openapi.json as the client's tests read it, and which of the client's models read
which of its component schemas (tests/client/)."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hookline.client.models import (
    ApiKey,
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EventType,
    Message,
    Model,
    RotatedSecret,
    Signature,
    Tenant,
    TestResult,
)

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

# Each model and the component schemas of the answers it is read from.
MODELLED: dict[type[Model], tuple[str, ...]] = {
    Tenant: ("TenantOut",),
    EventType: ("EventTypeOut",),
    Endpoint: ("EndpointOut", "EndpointCreated"),
    RotatedSecret: ("RotateOut",),
    DeliveryStatus: ("DeliveryStatusOut",),
    Message: ("MessageOut", "MessageDetail"),
    Delivery: ("DeliveryOut",),
    Attempt: ("AttemptOut",),
    TestResult: ("TestOut",),
    ApiKey: ("ApiKeyOut", "ApiKeyCreated"),
}
# Models the document cannot speak for, and why.
NOT_IN_DOCUMENT: dict[type[Model], str] = {
    Signature: "EndpointOut.signature is a free-form object in the document",
}
# Answers of the API the client reads without a model, or does not call, and why.
NOT_MODELLED: dict[str, str] = {
    "RecoverOut": "endpoints.recover returns its one field, `recovered`, as an int",
    "StatsOut": "the client has no call for an endpoint's stats",
    "PortalLinkOut": "the client has no call for portal links",
}


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return document


def nullable(prop: Mapping[str, Any]) -> bool | None:
    """Whether the document lets this property be null; None where it does not say
    (an unconstrained schema, as for a payload)."""
    if not prop or prop == {"title": prop.get("title")}:
        return None
    kinds = prop.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(nullable(p) for p in prop.get("anyOf", []) + prop.get("oneOf", []))


def optional(hint: Any) -> bool | None:
    """Whether the client's annotation takes None; None for `Any`."""
    if hint is Any:
        return None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return type(None) in typing.get_args(hint)
    return hint is None or hint is type(None)
