"""Every other route under /api/v1/: a 404 that says which of Svix's features Hookline
does not have, so that a client learns it at once instead of guessing at a typo."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request

from hookline.domain.errors import NotFound

router = APIRouter(prefix="/api/v1")

# First match wins; each pattern is matched against the path after /api/v1/.
FEATURES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), feature)
    for p, feature in [
        (r"^app/[^/]+/integration", "integrations"),
        (
            r"^operational-webhook",
            "operational webhook endpoints (Hookline sends its own "
            "events to HOOKLINE_OPERATIONAL_WEBHOOK_URL)",
        ),
        (r"^background-task", "background tasks (Hookline recovers before it answers)"),
        (r"^(stats|app/stats|app/[^/]+/stats)", "statistics (see each endpoint's /stats)"),
        (r"^(environment|management)", "environments"),
        (r"^(stream|app/[^/]+/stream|auth/stream)", "streaming"),
        (r"^(connector|transformation-template)", "connectors and transformation templates"),
        (r"^app/[^/]+/endpoint/[^/]+/transformation", "transformations"),
        (r"^app/[^/]+/endpoint/[^/]+/(oauth|mtls|ca)(-config)?$", "endpoint OAuth and mTLS"),
        (r"^app/[^/]+/endpoint/[^/]+/(replay-missing|bulk-replay)", "replays (use recover)"),
        (r"^app/[^/]+/endpoint/[^/]+/(auto-config|connector)", "auto-configuration"),
        (r"^app/[^/]+/endpoint/[^/]+/rate-limit-status", "throttling status"),
        (r"^app/[^/]+/endpoint/[^/]+/cancel-msgs", "cancelling messages"),
        (r"^app/[^/]+/endpoint/[^/]+/msg/test-attempt", "test attempts (use send-example)"),
        (r"^app/[^/]+/(poller|polling-endpoint)", "polling endpoints"),
        (r"^app/[^/]+/(auto-config|autoconfig)", "auto-configuration"),
        (r"^app/[^/]+/destination", "destinations"),
        (r"^app/[^/]+/inbound", "inbound webhooks"),
        (r"^app/[^/]+/alert-email", "alert e-mails"),
        (
            r"^app/[^/]+/msg/[^/]+/(content|raw|attempt/[^/]+/content|attempt/[^/]+/headers)",
            "expunging and raw message contents",
        ),
        (
            r"^app/[^/]+/msg/(bulk-expunge|expunge-all-contents|search|precheck)",
            "message search, pre-checks and bulk expunging",
        ),
        (r"^app/[^/]+/attempt/endpoint/[^/]+/count", "attempt counts"),
        (r"^app/[^/]+/endpoint/[^/]+/attempt-stats", "attempt statistics (see /stats)"),
        (r"^msg/broadcast", "broadcast messages"),
        (r"^events", "the events stream"),
        (r"^event-type/(import|export)", "event type import and export"),
        (r"^event-type/[^/]+/retry-schedule", "per-event-type retry schedules"),
        (r"^auth/", "authentication tokens (use Hookline API keys; app-portal-access works)"),
    ]
]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def feature_of(rest: str) -> str | None:
    for pattern, feature in FEATURES:
        if pattern.search(rest):
            return feature
    return None


@router.api_route("/{rest:path}", methods=_METHODS)
async def not_in_hookline(rest: str, request: Request) -> None:
    feature = feature_of(rest)
    route = f"{request.method} /api/v1/{rest}"
    if feature is not None:
        raise NotFound(f"Hookline does not have Svix's {feature}: {route} is not available.")
    raise NotFound(
        f"{route} is not part of Hookline's Svix-compatible API (applications, endpoints, "
        "messages, message attempts, event types, app-portal access, health); see "
        "docs/svix.md."
    )
