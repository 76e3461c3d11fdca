"""Queries on endpoints. Secrets and credentials are sealed here on the way in and
opened on the way out, so nothing above the store sees a sealed value and nothing in
the database is in clear."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.encryption import Cipher
from hookline.domain.models import (
    AuthType,
    Endpoint,
    EndpointAuth,
    EndpointSecrets,
    Ordering,
    Page,
    SignatureConfig,
)
from hookline.domain.retry import format_schedule, parse_schedule
from hookline.domain.signing import (
    SIGNING_KEY_PREFIX,
    STANDARD_WEBHOOKS,
    STANDARD_WEBHOOKS_ED25519,
    InvalidSecret,
    public_key_of,
)
from hookline.store.paging import fetch_page
from hookline.store.schema import endpoints as t

_PUBLIC_COLUMNS = [c for c in t.c if c.name not in ("secret_sealed", "previous_secret_sealed")]


def _open_auth(row: Row[Any], cipher: Cipher) -> EndpointAuth:
    auth_type = AuthType(row.auth_type)
    if auth_type is AuthType.NONE or not row.auth_sealed:
        return EndpointAuth(auth_type)
    fields = orjson.loads(cipher.open(row.auth_sealed, context=f"auth:{row.id}"))
    return EndpointAuth(auth_type, fields)


def _public_key(row: Row[Any], cipher: Cipher) -> str | None:
    """The `whpk_` key of the current secret, when that secret is an Ed25519 key."""
    if not row.secret_sealed:
        return None
    secret = cipher.open(row.secret_sealed, context=f"secret:{row.id}")
    if not secret.startswith(SIGNING_KEY_PREFIX):
        return None
    try:
        return public_key_of(secret)
    except InvalidSecret:
        return None


def _to_model(row: Row[Any], cipher: Cipher) -> Endpoint:
    sig = row.signature or {}
    scheme = sig.get("scheme", STANDARD_WEBHOOKS)
    return Endpoint(
        id=row.id,
        tenant_id=row.tenant_id,
        uid=row.uid,
        url=row.url,
        description=row.description,
        events=tuple(row.events),
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        timeout=row.timeout,
        rate_limit=row.rate_limit,
        max_in_flight=row.max_in_flight,
        ordering=Ordering(row.ordering),
        retry_schedule=parse_schedule(row.retry_schedule)
        if row.retry_schedule is not None
        else None,
        auth=_open_auth(row, cipher),
        headers=dict(row.headers or {}),
        signature=SignatureConfig(
            scheme=scheme,
            header=sig.get("header"),
            prefix=sig.get("prefix"),
            event_header=sig.get("event_header"),
            public_key=_public_key(row, cipher) if scheme == STANDARD_WEBHOOKS_ED25519 else None,
        ),
        has_secret=row.has_secret,
        failure_count=row.failure_count,
        last_failure_at=row.last_failure_at,
        last_success_at=row.last_success_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        send_trace_context=row.send_trace_context,
        channels=tuple(row.channels or ()),
    )


def _select() -> Any:
    # The sealed current secret comes along only to derive an Ed25519 public key from it.
    return select(
        *_PUBLIC_COLUMNS,
        t.c.secret_sealed,
        t.c.secret_sealed.is_not(None).label("has_secret"),
    )


def _values(endpoint: Endpoint, cipher: Cipher) -> dict[str, Any]:
    auth_sealed = None
    if endpoint.auth.type is not AuthType.NONE:
        auth_sealed = cipher.seal(
            orjson.dumps(endpoint.auth.fields).decode(), context=f"auth:{endpoint.id}"
        )
    sig = {
        k: v
        for k, v in (
            ("scheme", endpoint.signature.scheme),
            ("header", endpoint.signature.header),
            ("prefix", endpoint.signature.prefix),
            ("event_header", endpoint.signature.event_header),
        )
        if v is not None
    }
    return {
        "uid": endpoint.uid,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "timeout": endpoint.timeout,
        "rate_limit": endpoint.rate_limit,
        "max_in_flight": endpoint.max_in_flight,
        "ordering": endpoint.ordering.value,
        "retry_schedule": (
            format_schedule(endpoint.retry_schedule)
            if endpoint.retry_schedule is not None
            else None
        ),
        "auth_type": endpoint.auth.type.value,
        "auth_sealed": auth_sealed,
        "headers": endpoint.headers,
        "signature": sig,
        "channels": list(endpoint.channels) or None,
        "updated_at": endpoint.updated_at,
        "send_trace_context": endpoint.send_trace_context,
    }


def _seal_secret(cipher: Cipher, endpoint_id: str, secret: str | None) -> str | None:
    return None if secret is None else cipher.seal(secret, context=f"secret:{endpoint_id}")


async def insert_endpoint(
    conn: AsyncConnection, endpoint: Endpoint, *, secret: str | None, cipher: Cipher
) -> None:
    await conn.execute(
        insert(t).values(
            id=endpoint.id,
            tenant_id=endpoint.tenant_id,
            secret_sealed=_seal_secret(cipher, endpoint.id, secret),
            failure_count=0,
            created_at=endpoint.created_at,
            **_values(endpoint, cipher),
        )
    )


async def update_endpoint(conn: AsyncConnection, endpoint: Endpoint, *, cipher: Cipher) -> None:
    """Write every changeable field of `endpoint` (health counters are left alone)."""
    await conn.execute(update(t).where(t.c.id == endpoint.id).values(**_values(endpoint, cipher)))


def _live(tenant_id: str) -> Any:
    return and_(t.c.tenant_id == tenant_id, t.c.deleted_at.is_(None))


async def get_endpoint(
    conn: AsyncConnection, *, tenant_id: str, ref: str, cipher: Cipher
) -> Endpoint | None:
    """By id or uid, within one tenant; deleted endpoints are not found."""
    stmt = _select().where(_live(tenant_id), or_(t.c.id == ref, t.c.uid == ref))
    row = (await conn.execute(stmt)).first()
    return _to_model(row, cipher) if row else None


# The worker's look-ups, built once: they run for every claimed batch.
_BY_IDS = _select().where(t.c.id.in_(bindparam("b_ids", expanding=True)), t.c.deleted_at.is_(None))
_SECRETS_BY_IDS = select(
    t.c.id,
    t.c.secret_sealed,
    t.c.previous_secret_sealed,
    t.c.previous_secret_expires_at,
).where(t.c.id.in_(bindparam("b_ids", expanding=True)))


async def get_endpoints_by_id(
    conn: AsyncConnection, ids: Sequence[str], *, cipher: Cipher
) -> dict[str, Endpoint]:
    """Live endpoints by id; a deleted one is simply absent."""
    if not ids:
        return {}
    rows = (await conn.execute(_BY_IDS, {"b_ids": list(ids)})).all()
    return {r.id: _to_model(r, cipher) for r in rows}


async def uid_taken(
    conn: AsyncConnection, *, tenant_id: str, uid: str, except_id: str | None = None
) -> bool:
    stmt = select(t.c.id).where(_live(tenant_id), t.c.uid == uid)
    if except_id:
        stmt = stmt.where(t.c.id != except_id)
    return (await conn.execute(stmt)).first() is not None


async def count_endpoints(conn: AsyncConnection, tenant_id: str) -> int:
    stmt = select(func.count()).select_from(t).where(_live(tenant_id))
    return int((await conn.execute(stmt)).scalar_one())


async def list_endpoints(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    cipher: Cipher,
    limit: int,
    cursor: str | None,
    offset: int | None,
    descending: bool = False,
) -> Page[Endpoint]:
    return await fetch_page(
        conn,
        _select().where(_live(tenant_id)),
        t.c.id,
        lambda r: _to_model(r, cipher),
        limit=limit,
        cursor=cursor,
        offset=offset,
        descending=descending,
    )


@dataclass(frozen=True, slots=True)
class FanoutTarget:
    id: str
    events: tuple[str, ...]
    enabled: bool
    fifo: bool
    channels: tuple[str, ...] = ()  # empty: every message


def _target(r: Any) -> FanoutTarget:
    return FanoutTarget(
        r.id, tuple(r.events), r.enabled, r.ordering == Ordering.FIFO.value, tuple(r.channels or ())
    )


async def fanout_targets(conn: AsyncConnection, tenant_id: str) -> list[FanoutTarget]:
    """The few columns publish needs to decide who gets a message."""
    stmt = (
        select(t.c.id, t.c.events, t.c.enabled, t.c.ordering, t.c.channels)
        .where(_live(tenant_id))
        .order_by(t.c.id)
    )
    return [_target(r) for r in (await conn.execute(stmt))]


_FANOUT = (
    select(t.c.id, t.c.tenant_id, t.c.events, t.c.enabled, t.c.ordering, t.c.channels)
    .where(t.c.tenant_id.in_(bindparam("b_tenants", expanding=True)), t.c.deleted_at.is_(None))
    .order_by(t.c.id)
)


async def fanout_targets_many(
    conn: AsyncConnection, tenant_ids: Sequence[str]
) -> dict[str, list[FanoutTarget]]:
    """`fanout_targets` for several tenants in one query (a batch of publishes)."""
    out: dict[str, list[FanoutTarget]] = {tid: [] for tid in tenant_ids}
    if not out:
        return out
    for r in await conn.execute(_FANOUT, {"b_tenants": list(out)}):
        out[r.tenant_id].append(_target(r))
    return out


async def get_secrets(
    conn: AsyncConnection, endpoint_id: str, *, cipher: Cipher
) -> EndpointSecrets:
    stmt = select(
        t.c.secret_sealed, t.c.previous_secret_sealed, t.c.previous_secret_expires_at
    ).where(t.c.id == endpoint_id)
    row = (await conn.execute(stmt)).first()
    if row is None:
        return EndpointSecrets(None)
    return _open_secrets(endpoint_id, row, cipher)


def _open_secrets(endpoint_id: str, row: Any, cipher: Cipher) -> EndpointSecrets:
    ctx = f"secret:{endpoint_id}"
    return EndpointSecrets(
        current=cipher.open(row.secret_sealed, context=ctx) if row.secret_sealed else None,
        previous=(
            cipher.open(row.previous_secret_sealed, context=ctx)
            if row.previous_secret_sealed
            else None
        ),
        previous_expires_at=row.previous_secret_expires_at,
    )


async def get_secrets_many(
    conn: AsyncConnection, ids: Sequence[str], *, cipher: Cipher
) -> dict[str, EndpointSecrets]:
    if not ids:
        return {}
    rows = (await conn.execute(_SECRETS_BY_IDS, {"b_ids": list(ids)})).all()
    return {r.id: _open_secrets(r.id, r, cipher) for r in rows}


async def set_secrets(
    conn: AsyncConnection,
    endpoint_id: str,
    *,
    secrets: EndpointSecrets,
    cipher: Cipher,
    now: datetime,
) -> None:
    await conn.execute(
        update(t)
        .where(t.c.id == endpoint_id)
        .values(
            secret_sealed=_seal_secret(cipher, endpoint_id, secrets.current),
            previous_secret_sealed=_seal_secret(cipher, endpoint_id, secrets.previous),
            previous_secret_expires_at=secrets.previous_expires_at,
            updated_at=now,
        )
    )


async def soft_delete(conn: AsyncConnection, endpoint_id: str, *, now: datetime) -> None:
    """Deleted endpoints keep their history (deliveries point at them) but free their uid."""
    await conn.execute(
        update(t)
        .where(t.c.id == endpoint_id)
        .values(
            deleted_at=now,
            uid=None,
            enabled=False,
            disabled_reason="deleted",
            updated_at=now,
        )
    )


@dataclass(frozen=True, slots=True)
class DeliveryEndpoint:
    """What the worker needs of an endpoint to send to it, read in one query."""

    endpoint: Endpoint
    secrets: EndpointSecrets
    concurrency_limit: float | None  # back-pressure's shared limit (None: at the cap)


class Unreadable(Exception):
    """An endpoint row whose sealed values cannot be opened (a wrong master key, a
    damaged value): its deliveries fail with this, the others go on."""


_FOR_DELIVERY: Any = select(
    *_PUBLIC_COLUMNS,
    t.c.secret_sealed,
    t.c.secret_sealed.is_not(None).label("has_secret"),
    t.c.previous_secret_sealed,
).where(t.c.id.in_(bindparam("b_ids", expanding=True)), t.c.deleted_at.is_(None))


async def for_delivery(
    conn: AsyncConnection, ids: Sequence[str], *, cipher: Cipher
) -> dict[str, DeliveryEndpoint | Unreadable]:
    """Live endpoints by id with their secrets opened; a deleted one is absent, one
    that cannot be opened is an `Unreadable` (so one bad row fails only its own)."""
    if not ids:
        return {}
    found: dict[str, DeliveryEndpoint | Unreadable] = {}
    for r in (await conn.execute(_FOR_DELIVERY, {"b_ids": list(ids)})).all():
        try:
            found[r.id] = DeliveryEndpoint(
                _to_model(r, cipher), _open_secrets(r.id, r, cipher), r.concurrency_limit
            )
        except Exception as exc:
            found[r.id] = Unreadable(f"the endpoint's stored secrets cannot be opened ({exc})")
    return found
