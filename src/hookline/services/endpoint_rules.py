"""What makes an endpoint's settings acceptable (DESIGN §4), checked all at once so
one 422 names every problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.channels import check_channels
from hookline.domain.errors import ValidationReport
from hookline.domain.matching import is_pattern, is_valid_name, is_valid_pattern, matches
from hookline.domain.models import (
    AuthType,
    Endpoint,
    EndpointAuth,
    Ordering,
    SignatureConfig,
)
from hookline.domain.outgoing import CONNECTION_HEADERS, endpoint_set_headers
from hookline.domain.signing import (
    HMAC_SHA256_HEX,
    SCHEMES,
    InvalidSecret,
    check_secret,
)
from hookline.services.context import Policy
from hookline.services.targets import check_addresses, normalise_url
from hookline.services.validation import check_uid
from hookline.store import event_types as event_type_store
from hookline.tracing import TRACE_HEADERS

TIMEOUT_RANGE = (5, 120)
MAX_HEADERS = 20
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$")
# Set by Hookline itself, or about the connection, which its HTTP client alone manages.
RESERVED_HEADERS = (
    frozenset({"content-type", "host", "content-length", "user-agent"}) | CONNECTION_HEADERS
)
AUTH_FIELDS: dict[AuthType, tuple[str, ...]] = {
    AuthType.NONE: (),
    AuthType.BEARER: ("token",),
    AuthType.BASIC: ("username", "password"),
    AuthType.API_KEY: ("header", "value"),
    AuthType.CUSTOM_HEADER: ("header", "value"),
}


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """The user-settable fields of an endpoint."""

    url: str
    events: list[str]
    uid: str | None = None
    description: str = ""
    enabled: bool = True
    timeout: int = 30
    rate_limit: int | None = None
    max_in_flight: int | None = None
    ordering: Ordering = Ordering.UNORDERED
    retry_schedule: tuple[float, ...] | None = None
    auth: EndpointAuth = field(default_factory=lambda: EndpointAuth(AuthType.NONE))
    headers: dict[str, str] = field(default_factory=dict)
    signature: SignatureConfig = field(default_factory=SignatureConfig)
    secret: str | None = None
    generate_secret: bool = True
    send_trace_context: bool = False
    channels: list[str] | None = None  # None (or empty): every message


def is_reserved_header(name: str) -> bool:
    lower = name.lower()
    return lower in RESERVED_HEADERS or lower.startswith("webhook-")


def _check_header(report: ValidationReport, location: str, name: str, value: str) -> None:
    if not HEADER_NAME_RE.match(name):
        report.add(location, "not a valid HTTP header name", name)
    elif is_reserved_header(name):
        report.add(location, "reserved header: Hookline sets it itself", name)
    if any(c in value for c in "\r\n\x00"):
        report.add(location, "header values may not contain line breaks", value)


async def validate_spec(
    conn: AsyncConnection,
    policy: Policy,
    spec: EndpointSpec,
    *,
    previous: Endpoint | None = None,
) -> EndpointSpec:
    """Return the spec with its URL normalised, or raise InvalidInput / RefusedTarget."""
    url = normalise_url(spec.url, allow_http=policy.allow_http)
    report = ValidationReport()
    check_uid(report, spec.uid, "body.uid")
    if len(spec.description) > 100:
        report.add("body.description", "at most 100 characters", spec.description)
    await _check_events(conn, report, spec.events, previous)
    lo, hi = TIMEOUT_RANGE
    if not lo <= spec.timeout <= hi:
        report.add("body.timeout", f"between {lo} and {hi} seconds", spec.timeout)
    if spec.rate_limit is not None and not 1 <= spec.rate_limit <= 100_000:
        report.add("body.rate_limit", "attempts per second, at least 1", spec.rate_limit)
    if spec.max_in_flight is not None and not 1 <= spec.max_in_flight <= 1000:
        report.add("body.max_in_flight", "between 1 and 1000", spec.max_in_flight)
    _check_auth(report, spec.auth)
    if len(spec.headers) > MAX_HEADERS:
        report.add("body.headers", f"at most {MAX_HEADERS} headers", len(spec.headers))
    for name, value in spec.headers.items():
        _check_header(report, f"body.headers.{name}", name, value)
        if spec.send_trace_context and name.lower() in TRACE_HEADERS:
            report.add(f"body.headers.{name}", "reserved header: send_trace_context sets it", name)
    _check_signature(report, spec)
    _check_header_conflicts(report, spec)
    channels = check_channels(report, spec.channels, "body.channels")
    report.raise_if_any()
    return replace(
        spec, url=url, events=list(dict.fromkeys(spec.events)), channels=list(channels) or None
    )


async def check_destination(policy: Policy, url: str, *, previous: Endpoint | None) -> None:
    """The network policy's address check for a validated spec's (normalised) URL.

    Call it outside any write transaction: it may wait on DNS. No lookup happens when
    the URL stays as stored (the worker judges the addresses at every connection)."""
    if not policy.allow_private_targets and (previous is None or url != previous.url):
        await check_addresses(url, resolver=policy.resolver)


async def _check_events(
    conn: AsyncConnection,
    report: ValidationReport,
    events: list[str],
    previous: Endpoint | None,
) -> None:
    if not events:
        report.add("body.events", "subscribe to at least one event type", events)
        return
    names = [e for e in events if not is_pattern(e) and is_valid_name(e)]
    known = await event_type_store.get_event_types(conn, names)
    already = set(previous.events) if previous else set()
    for i, event in enumerate(events):
        loc = f"body.events.{i}"
        if is_pattern(event):
            if not is_valid_pattern(event):
                report.add(loc, "a pattern is '*' or dotted segments with '*' segments", event)
        elif not is_valid_name(event):
            report.add(loc, "not a valid event type name", event)
        elif event not in known:
            report.add(loc, "unknown event type", event)
        elif known[event].archived and event not in already:
            report.add(loc, "this event type is archived: new subscriptions are refused", event)
    await _check_patterns_match(conn, report, events, previous)


async def _check_patterns_match(
    conn: AsyncConnection,
    report: ValidationReport,
    events: list[str],
    previous: Endpoint | None,
) -> None:
    """A new pattern must match an event type of the catalogue (DESIGN §4): `invoce.*`
    would otherwise be accepted and silently receive nothing. Archived types take no new
    subscriptions, so they do not count; patterns the endpoint already has are kept
    whatever the catalogue holds now."""
    already = set(previous.events) if previous else set()
    new = [
        (i, e)
        for i, e in enumerate(events)
        if is_pattern(e) and is_valid_pattern(e) and e not in already
    ]
    if not new:
        return
    names = await event_type_store.active_names(conn)
    for i, pattern in new:
        if not any(matches(pattern, name) for name in names):
            report.add(
                f"body.events.{i}",
                f"{pattern!r} matches no event type in the catalogue",
                pattern,
            )


def _check_auth(report: ValidationReport, auth: EndpointAuth) -> None:
    wanted = AUTH_FIELDS[auth.type]
    for name in wanted:
        value = auth.fields.get(name)
        if not isinstance(value, str) or not value:
            report.add(f"body.auth.{name}", f"required for auth type {auth.type.value}")
        elif any(c in value for c in "\r\n\x00"):
            report.add(f"body.auth.{name}", "may not contain line breaks")
    for name in auth.fields:
        if name not in wanted:
            report.add(f"body.auth.{name}", f"not a field of auth type {auth.type.value}")
    if auth.type in (AuthType.API_KEY, AuthType.CUSTOM_HEADER):
        header = auth.fields.get("header", "")
        if header and (not HEADER_NAME_RE.match(header) or is_reserved_header(header)):
            report.add("body.auth.header", "not a usable header name", header)
    if auth.type is AuthType.BASIC and ":" in auth.fields.get("username", ""):
        report.add("body.auth.username", "may not contain ':'")


def _check_signature(report: ValidationReport, spec: EndpointSpec) -> None:
    sig = spec.signature
    if sig.scheme not in SCHEMES:
        report.add("body.signature.scheme", f"one of {sorted(SCHEMES)}", sig.scheme)
        return
    if sig.scheme == HMAC_SHA256_HEX:
        header = sig.header or "X-Webhook-Signature"
        if not HEADER_NAME_RE.match(header) or is_reserved_header(header):
            report.add("body.signature.header", "not a usable header name", header)
        if sig.event_header and (
            not HEADER_NAME_RE.match(sig.event_header) or is_reserved_header(sig.event_header)
        ):
            report.add(
                "body.signature.event_header",
                "not a usable header name",
                sig.event_header,
            )
        if sig.prefix is not None and (len(sig.prefix) > 50 or not sig.prefix.isprintable()):
            report.add("body.signature.prefix", "at most 50 printable characters", sig.prefix)
    elif sig.header or sig.prefix or sig.event_header:
        report.add(
            "body.signature",
            f"header, prefix and event_header are for {HMAC_SHA256_HEX}",
        )
    if spec.secret is not None:
        try:
            check_secret(sig.scheme, spec.secret)
        except InvalidSecret as exc:
            report.add("body.secret", str(exc))


_ANY_CASE = "header names are compared without regard to case"


def _check_header_conflicts(report: ValidationReport, spec: EndpointSpec) -> None:
    """Headers an endpoint configures never duplicate or override one Hookline sets
    for it (DESIGN §6): its auth header, the hex scheme's signature header and the
    event-type header, nor one another, compared without regard to case. (The fixed
    ones, `webhook-*` and the connection's, are `_check_header`'s.)"""
    claimed: dict[str, str] = {}
    for name, what, field_name in endpoint_set_headers(spec.auth, spec.signature):
        lower = name.lower()
        if lower in claimed:
            report.add(
                f"body.{field_name}", f"the same header as {claimed[lower]}; {_ANY_CASE}", name
            )
        else:
            claimed[lower] = f"{what} ({name})"
    mine: dict[str, str] = {}
    for name in spec.headers:
        lower = name.lower()
        if lower in claimed:
            report.add(
                f"body.headers.{name}",
                f"Hookline sets this header itself: {claimed[lower]}; {_ANY_CASE}",
                name,
            )
        elif lower in mine:
            report.add(
                f"body.headers.{name}", f"the same header as {mine[lower]}; {_ANY_CASE}", name
            )
        else:
            mine[lower] = name
