"""API keys: create (shown once), list, revoke, authenticate, and the first admin key."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from hookline.domain import api_keys as keys
from hookline.domain.clock import utcnow
from hookline.domain.errors import Forbidden, NotFound, Unauthorized, ValidationReport
from hookline.domain.ids import new_id
from hookline.domain.models import ApiKey, Page, Principal, Role
from hookline.services.access import Permission, require, resolve_tenant
from hookline.services.context import Context
from hookline.store import api_keys as store
from hookline.store.database import Database

BOOTSTRAP_NAME = "bootstrap admin"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the key itself, shown once


async def create(
    ctx: Context,
    principal: Principal,
    *,
    name: str,
    role: Role,
    tenant: str | None = None,
) -> CreatedKey:
    require(principal, Permission.ADMIN)
    report = ValidationReport()
    if not 1 <= len(name) <= 200:
        report.add("body.name", "1–200 characters", name)
    report.raise_if_any()
    if principal.tenant_id is not None and tenant is None:
        tenant = principal.tenant_id  # a tenant-bound admin makes keys for its tenant
    tenant_id = None
    if tenant is not None:
        async with ctx.db.read() as conn:
            tenant_id = (await resolve_tenant(conn, principal, tenant)).id
    return await _insert(ctx, name=name, role=role, tenant_id=tenant_id)


async def _insert(
    ctx: Context,
    *,
    name: str,
    role: Role,
    tenant_id: str | None,
    secret: str | None = None,
) -> CreatedKey:
    secret = secret or keys.generate(role)
    key = ApiKey(
        id=new_id("key"),
        name=name,
        role=role,
        tenant_id=tenant_id,
        prefix=keys.display_prefix(secret),
        created_at=utcnow(),
        last_used_at=None,
        revoked_at=None,
    )
    async with ctx.db.write() as conn:
        await store.insert_key(conn, key, key_hash=keys.hash_key(secret))
    return CreatedKey(key, secret)


async def list_(
    ctx: Context,
    principal: Principal,
    *,
    include_revoked: bool = False,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
) -> Page[ApiKey]:
    require(principal, Permission.ADMIN)
    async with ctx.db.read() as conn:
        return await store.list_keys(
            conn,
            tenant_id=principal.tenant_id,
            include_revoked=include_revoked,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )


async def revoke(ctx: Context, principal: Principal, key_id: str) -> None:
    require(principal, Permission.ADMIN)
    async with ctx.db.write() as conn:
        key = await store.get_key(conn, key_id)
        if key is None or (
            principal.tenant_id is not None and key.tenant_id != principal.tenant_id
        ):
            raise NotFound(f"No API key {key_id!r}.")
        if key.id == principal.key_id:
            raise Forbidden("A key cannot revoke itself; use another admin key.")
        await store.revoke(conn, key.id, now=utcnow())
    forget_authentications(ctx)


# Recently authenticated keys, per database: a busy key is looked up once a second,
# not on every request. A revocation or tenant deletion in this process empties it at
# once; another process sees a revocation within AUTH_CACHE_SECONDS.
AUTH_CACHE_SECONDS = 1.0
_recent: weakref.WeakKeyDictionary[Database, dict[str, tuple[Principal, float]]] = (
    weakref.WeakKeyDictionary()
)


# Look-ups in flight, per database: requests that miss the cache together (a busy key's
# entry just ran out) share one look-up instead of each taking a connection.
_looking_up: weakref.WeakKeyDictionary[Database, dict[str, asyncio.Future[Principal]]] = (
    weakref.WeakKeyDictionary()
)


def forget_authentications(ctx: Context) -> None:
    _recent.pop(ctx.db, None)
    _looking_up.pop(ctx.db, None)


async def authenticate(ctx: Context, secret: str | None) -> Principal:
    """The caller behind a presented key; Unauthorized for none, unknown or revoked keys."""
    if not secret:
        raise Unauthorized("An API key is required (Authorization: Bearer <key>).")
    if keys.role_of(secret) is not None and not keys.is_well_formed(secret):
        raise Unauthorized("This API key is malformed (checksum mismatch): check for a typo.")
    digest = keys.hash_key(secret)
    recent = _recent.setdefault(ctx.db, {})
    hit = recent.get(digest)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    principal = await asyncio.shield(_shared_look_up(ctx, digest))
    if len(recent) > 10_000:
        recent.clear()
    recent[digest] = (principal, time.monotonic() + AUTH_CACHE_SECONDS)
    return principal


def _shared_look_up(ctx: Context, digest: str) -> asyncio.Future[Principal]:
    pending = _looking_up.setdefault(ctx.db, {})
    future = pending.get(digest)
    if future is None:
        future = pending[digest] = asyncio.ensure_future(_look_up(ctx, digest))

        def done(f: asyncio.Future[Principal]) -> None:
            if pending.get(digest) is f:
                del pending[digest]
            if not f.cancelled():
                f.exception()  # retrieved: every waiter may have gone away

        future.add_done_callback(done)
    return future


async def _look_up(ctx: Context, digest: str) -> Principal:
    async with ctx.db.read() as conn:
        found = await store.get_by_hash(conn, digest)
    if found is None or not hmac.compare_digest(found[1], digest):
        raise Unauthorized("Unknown API key.")
    key = found[0]
    if key.revoked_at is not None:
        raise Unauthorized("This API key has been revoked.")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # Recorded at most once a minute per key, so busy keys cost no write per request.
        async with ctx.db.write() as conn:
            await store.touch(conn, key.id, now=now)
    return Principal(key_id=key.id, role=key.role, tenant_id=key.tenant_id)


async def bootstrap_admin(ctx: Context, configured: str | None) -> str | None:
    """Make sure an admin key exists; return a newly generated key to print once.

    With HOOKLINE_ADMIN_KEY set, that key is registered (once) and nothing is printed.
    """
    if configured:
        async with ctx.db.read() as conn:
            exists = await store.get_by_hash(conn, keys.hash_key(configured))
        if exists is None:
            # Another process starting at the same time may register it first.
            with contextlib.suppress(IntegrityError):
                await _insert(
                    ctx,
                    name=f"{BOOTSTRAP_NAME} (HOOKLINE_ADMIN_KEY)",
                    role=Role.ADMIN,
                    tenant_id=None,
                    secret=configured,
                )
        return None
    async with ctx.db.read() as conn:
        if await store.any_admin_key(conn):
            return None
    return (await _insert(ctx, name=BOOTSTRAP_NAME, role=Role.ADMIN, tenant_id=None)).secret
