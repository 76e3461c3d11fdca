"""Endpoints: register, read, change, replace by uid, delete, rotate the secret."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.clock import utcnow
from hookline.domain.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    ValidationReport,
)
from hookline.domain.ids import new_id
from hookline.domain.models import (
    AuthType,
    Endpoint,
    EndpointAuth,
    EndpointSecrets,
    Ordering,
    Page,
    Principal,
    SignatureConfig,
)
from hookline.domain.signing import (
    SIGNING_KEY_PREFIX,
    STANDARD_WEBHOOKS_ED25519,
    InvalidSecret,
    check_secret,
    generate_for,
    public_key_of,
)
from hookline.services.access import Permission, require, resolve_endpoint, resolve_tenant
from hookline.services.context import Context
from hookline.services.endpoint_change import EndpointChange, SecretMove, secret_move
from hookline.services.endpoint_rules import EndpointSpec, check_destination, validate_spec
from hookline.store import deliveries as delivery_store
from hookline.store import endpoint_health
from hookline.store import endpoints as store

DEFAULT_GRACE_S = 86400


@dataclass(frozen=True, slots=True)
class WithSecret:
    """An endpoint and the secret to show once (create and rotate responses)."""

    endpoint: Endpoint
    secret: str | None


def _apply(spec: EndpointSpec, base: Endpoint) -> Endpoint:
    now = utcnow()
    return replace(
        base,
        uid=spec.uid,
        url=spec.url,
        description=spec.description,
        events=tuple(spec.events),
        enabled=spec.enabled,
        disabled_reason=None if spec.enabled else (base.disabled_reason or "disabled by a user"),
        timeout=spec.timeout,
        rate_limit=spec.rate_limit,
        max_in_flight=spec.max_in_flight,
        ordering=spec.ordering,
        retry_schedule=spec.retry_schedule,
        auth=spec.auth,
        headers=dict(spec.headers),
        signature=spec.signature,
        updated_at=now,
        send_trace_context=spec.send_trace_context,
        channels=tuple(spec.channels or ()),
    )


def _blank(tenant_id: str) -> Endpoint:
    now = utcnow()
    return Endpoint(
        id=new_id("ep"),
        tenant_id=tenant_id,
        uid=None,
        url="",
        description="",
        events=(),
        enabled=True,
        disabled_reason=None,
        timeout=30,
        rate_limit=None,
        max_in_flight=None,
        ordering=Ordering.UNORDERED,
        retry_schedule=None,
        auth=EndpointAuth(AuthType.NONE),
        headers={},
        signature=SignatureConfig(),
        has_secret=False,
        failure_count=0,
        last_failure_at=None,
        last_success_at=None,
        created_at=now,
        updated_at=now,
    )


def _initial_secret(spec: EndpointSpec) -> str | None:
    if spec.secret is not None:
        return spec.secret
    return generate_for(spec.signature.scheme) if spec.generate_secret else None


def _showing_key(endpoint: Endpoint, secret: str | None) -> Endpoint:
    """The endpoint with the public key of `secret` (its new current secret) on show."""
    public_key = (
        public_key_of(secret)
        if secret is not None
        and secret.startswith(SIGNING_KEY_PREFIX)
        and endpoint.signature.scheme == STANDARD_WEBHOOKS_ED25519
        else None
    )
    return replace(endpoint, signature=replace(endpoint.signature, public_key=public_key))


async def create(
    ctx: Context, principal: Principal, *, tenant: str, spec: EndpointSpec
) -> WithSecret:
    require(principal, Permission.MANAGE_ENDPOINTS)
    # Fields first, then the addresses (DNS, outside the write transaction), then the
    # write, which checks the fields again against what may have changed meanwhile.
    async with ctx.db.read() as conn:
        await resolve_tenant(conn, principal, tenant)
        checked = await validate_spec(conn, ctx.policy, spec)
    await check_destination(ctx.policy, checked.url, previous=None)
    async with ctx.db.write() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        spec = await validate_spec(conn, ctx.policy, spec)
        limit = (
            owner.max_endpoints
            if owner.max_endpoints is not None
            else ctx.policy.max_endpoints_per_tenant
        )
        if limit and await store.count_endpoints(conn, owner.id) >= limit:
            raise Conflict(f"Tenant {owner.id} already has its {limit} endpoints.")
        if spec.uid is not None and await store.uid_taken(conn, tenant_id=owner.id, uid=spec.uid):
            raise Conflict(f"The uid {spec.uid!r} is already taken in this tenant.")
        secret = _initial_secret(spec)
        endpoint = replace(_apply(spec, _blank(owner.id)), has_secret=secret is not None)
        await store.insert_endpoint(conn, endpoint, secret=secret, cipher=ctx.cipher)
    return WithSecret(_showing_key(endpoint, secret), secret)


async def get(ctx: Context, principal: Principal, *, tenant: str, endpoint: str) -> Endpoint:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        return await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)


async def list_(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
    descending: bool = False,
) -> Page[Endpoint]:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        return await store.list_endpoints(
            conn,
            tenant_id=owner.id,
            cipher=ctx.cipher,
            limit=limit,
            cursor=cursor,
            offset=offset,
            descending=descending,
        )


async def update(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    change: EndpointChange,
) -> Endpoint:
    """Apply a change: the fields it sets, over the endpoint as stored."""
    require(principal, Permission.MANAGE_ENDPOINTS)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        before = await store.get_endpoint(conn, tenant_id=owner.id, ref=endpoint, cipher=ctx.cipher)
        if before is None:
            raise NotFound(f"No endpoint {endpoint!r} in this tenant.")
        checked = await validate_spec(conn, ctx.policy, change.spec_after(before), previous=before)
    await check_destination(ctx.policy, checked.url, previous=before)
    async with ctx.db.write() as conn:
        current = await store.get_endpoint(
            conn, tenant_id=owner.id, ref=endpoint, cipher=ctx.cipher
        )
        if current is None:
            raise NotFound(f"No endpoint {endpoint!r} in this tenant.")
        spec = await validate_spec(conn, ctx.policy, change.spec_after(current), previous=current)
        if spec.url != checked.url:  # changed meanwhile by someone else: judge it too
            raise Conflict("The endpoint changed while this change was checked; try again.")
        if spec.uid is not None and await store.uid_taken(
            conn, tenant_id=owner.id, uid=spec.uid, except_id=current.id
        ):
            raise Conflict(f"The uid {spec.uid!r} is already taken in this tenant.")
        updated = _apply(spec, current)
        await store.update_endpoint(conn, updated, cipher=ctx.cipher)
        if updated.signature.scheme != current.signature.scheme and current.has_secret:
            updated = await _rekey_for_scheme(ctx, conn, updated)
        else:
            shown = replace(updated.signature, public_key=current.signature.public_key)
            updated = replace(updated, signature=shown)
        if updated.enabled and not current.enabled:
            # Re-enabled: HOOKLINE_DISABLE_AFTER counts afresh from the next failure.
            await endpoint_health.reset_failing_since(conn, current.id)
            updated = replace(updated, disabled_reason=None)
    return updated


async def _rekey_for_scheme(ctx: Context, conn: AsyncConnection, endpoint: Endpoint) -> Endpoint:
    """After a change of scheme: what `secret_move` decides. A new key leaves the old
    secret signing beside it for the default grace period, as after a rotation."""
    now = utcnow()
    old = await store.get_secrets(conn, endpoint.id, cipher=ctx.cipher)
    scheme = endpoint.signature.scheme
    if old.current is None:
        return endpoint
    move = secret_move(scheme, old.current)
    if move is SecretMove.KEEP:
        return endpoint
    if move is SecretMove.SHOW_KEY:
        return _showing_key(endpoint, old.current)
    key = generate_for(scheme)
    await store.set_secrets(
        conn,
        endpoint.id,
        secrets=EndpointSecrets(
            current=key,
            previous=old.current,
            previous_expires_at=now + timedelta(seconds=DEFAULT_GRACE_S),
        ),
        cipher=ctx.cipher,
        now=now,
    )
    return _showing_key(replace(endpoint, updated_at=now), key)


async def put(
    ctx: Context, principal: Principal, *, tenant: str, uid: str, spec: EndpointSpec
) -> tuple[WithSecret, bool]:
    """Create or replace the endpoint with this uid; True when it was created."""
    require(principal, Permission.MANAGE_ENDPOINTS)
    spec = replace(spec, uid=uid)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        current = await store.get_endpoint(conn, tenant_id=owner.id, ref=uid, cipher=ctx.cipher)
    if current is None or current.uid != uid:
        return await create(ctx, principal, tenant=owner.id, spec=spec), True
    change = EndpointChange.replacing(spec)
    updated = await update(ctx, principal, tenant=owner.id, endpoint=current.id, change=change)
    return WithSecret(updated, None), False


async def delete(ctx: Context, principal: Principal, *, tenant: str, endpoint: str) -> None:
    """Remove the endpoint; its pending deliveries end `failed` ("endpoint deleted")."""
    require(principal, Permission.MANAGE_ENDPOINTS)
    now = utcnow()
    async with ctx.db.write() as conn:
        current = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        await delivery_store.fail_pending_of_endpoint(
            conn, current.id, reason="endpoint deleted", now=now
        )
        await store.soft_delete(conn, current.id, now=now)


async def reveal_secret(ctx: Context, principal: Principal, *, tenant: str, endpoint: str) -> str:
    """The endpoint's current signing secret, for the Svix door's "get secret" (the
    native API shows a secret only when it is made). Keys that manage endpoints alone."""
    require(principal, Permission.MANAGE_ENDPOINTS)
    async with ctx.db.read() as conn:
        current = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        secrets = await store.get_secrets(conn, current.id, cipher=ctx.cipher)
    if secrets.current is None:
        raise NotFound(f"Endpoint {endpoint!r} has no secret: its requests are not signed.")
    return secrets.current


async def rotate_secret(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    secret: str | None = None,
    grace_period: int = DEFAULT_GRACE_S,
) -> WithSecret:
    """A new secret, shown once; the old one keeps signing beside it for `grace_period` s."""
    require(principal, Permission.OPERATE)
    report = ValidationReport()
    if not 0 <= grace_period <= 30 * 86400:
        report.add("body.grace_period", "between 0 and 2592000 seconds (30 days)", grace_period)
    report.raise_if_any()
    now = utcnow()
    async with ctx.db.write() as conn:
        current = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        if secret is not None:
            try:
                check_secret(current.signature.scheme, secret)
            except InvalidSecret as exc:
                raise InvalidInput(str(exc), errors=[FieldError("body.secret", str(exc))]) from exc
        new_secret = secret or generate_for(current.signature.scheme)
        old = await store.get_secrets(conn, current.id, cipher=ctx.cipher)
        keep_old = old.current is not None and grace_period > 0
        await store.set_secrets(
            conn,
            current.id,
            secrets=EndpointSecrets(
                current=new_secret,
                previous=old.current if keep_old else None,
                previous_expires_at=now + timedelta(seconds=grace_period) if keep_old else None,
            ),
            cipher=ctx.cipher,
            now=now,
        )
    rotated = replace(current, has_secret=True, updated_at=now)
    return WithSecret(_showing_key(rotated, new_secret), new_secret)
