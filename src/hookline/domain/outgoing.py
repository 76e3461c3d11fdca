"""The headers of one outgoing request, and the copy of them that is safe to store."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from hookline import __version__
from hookline.domain.models import AuthType, Endpoint, EndpointAuth, SignatureConfig
from hookline.domain.signing import (
    HMAC_SHA256_HEX,
    hex_signature,
    standard_signature_header,
)

USER_AGENT = f"Hookline/{__version__}"
MASK = "***"
DEFAULT_HEX_HEADER = "X-Webhook-Signature"
# Headers about the connection (hop by hop), which only the sending HTTP client sets.
CONNECTION_HEADERS = frozenset(
    {"transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade"}
)
# Set on every request whatever the endpoint, beside every `webhook-*` (DESIGN §6).
FIXED_HEADERS = frozenset({"content-type", "content-length", "host", "user-agent"})


def auth_header_name(auth: EndpointAuth) -> str | None:
    """The header an endpoint's auth is sent in (as configured), if any."""
    if auth.type in (AuthType.BEARER, AuthType.BASIC):
        return "Authorization"
    if auth.type in (AuthType.API_KEY, AuthType.CUSTOM_HEADER):
        return auth.fields.get("header") or None
    return None


def endpoint_set_headers(
    auth: EndpointAuth, signature: SignatureConfig
) -> list[tuple[str, str, str]]:
    """The headers Hookline sets for this auth and signature beyond the fixed ones, as
    (name as configured, what it is, the field that names it): the auth header, the
    hex scheme's signature header, the event-type header."""
    out = []
    auth_name = auth_header_name(auth)
    if auth_name:
        what = "auth.header" if auth.type in (AuthType.API_KEY, AuthType.CUSTOM_HEADER) else "auth"
        out.append((auth_name, "the auth header", what))
    if signature.scheme == HMAC_SHA256_HEX:
        name = signature.header or DEFAULT_HEX_HEADER
        out.append((name, "the signature header", "signature.header"))
    if signature.event_header:
        out.append((signature.event_header, "the event-type header", "signature.event_header"))
    return out


def _custom_headers(endpoint: Endpoint) -> dict[str, str]:
    """The endpoint's own headers less any that names (in any case) one Hookline sets:
    the API refuses such headers, this keeps it so for endpoints stored before it did."""
    taken = {
        name.lower()
        for name, _what, _field in endpoint_set_headers(endpoint.auth, endpoint.signature)
    }
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in endpoint.headers.items():
        lower = name.lower()
        if (
            lower in taken
            or lower in seen
            or lower in FIXED_HEADERS
            or lower in CONNECTION_HEADERS
            or lower.startswith("webhook-")
        ):
            continue
        seen.add(lower)
        out[name] = value
    return out


def request_headers(
    endpoint: Endpoint,
    *,
    secrets: Sequence[str],
    message_id: str,
    event_type: str,
    timestamp: int,
    body: bytes,
) -> dict[str, str]:
    """Headers in the order a receiver reads them (DESIGN §2).

    `secrets` are the active signing secrets, newest first; empty means unsigned. The
    Standard Webhooks schemes sign with each of them (`v1` for `whsec_`, `v1a` for
    `whsk_`); the hex scheme has room for one value and signs with the newest.
    Custom headers come first, less any that would duplicate one set below.
    """
    headers: dict[str, str] = _custom_headers(endpoint) if endpoint.headers else {}
    headers.update(_auth_headers(endpoint))
    headers["content-type"] = "application/json"
    headers["user-agent"] = USER_AGENT
    headers["webhook-id"] = message_id
    headers["webhook-timestamp"] = str(timestamp)
    sig = endpoint.signature
    # A secret that cannot sign in this scheme (possible only right after a change of
    # scheme) is skipped rather than failing the attempt; the API refuses such changes.
    if sig.scheme == HMAC_SHA256_HEX:
        digest = hex_signature(secrets, body)
        if digest is not None:
            headers[sig.header or DEFAULT_HEX_HEADER] = (sig.prefix or "") + digest
    else:
        value = standard_signature_header(secrets, message_id, timestamp, body)
        if value is not None:
            headers["webhook-signature"] = value
    if sig.event_header:
        headers[sig.event_header] = event_type
    return headers


def _auth_headers(endpoint: Endpoint) -> dict[str, str]:
    auth = endpoint.auth
    f = auth.fields
    if auth.type is AuthType.BEARER:
        return {"Authorization": f"Bearer {f['token']}"}
    if auth.type is AuthType.BASIC:
        raw = f"{f['username']}:{f['password']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    if auth.type in (AuthType.API_KEY, AuthType.CUSTOM_HEADER):
        return {f["header"]: f["value"]}
    return {}


def masked(endpoint: Endpoint, headers: dict[str, str]) -> dict[str, str]:
    """The headers as stored with an attempt: credentials replaced by `***`."""
    secret_names = {k.lower() for k in _auth_headers(endpoint)}
    out = {}
    for name, value in headers.items():
        if name.lower() in secret_names:
            scheme = value.split(" ", 1)[0] if name.lower() == "authorization" else ""
            out[name] = f"{scheme} {MASK}" if scheme and " " in value else MASK
        else:
            out[name] = value
    return out
