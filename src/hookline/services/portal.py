"""Portal links: a signed, expiring URL that opens the dashboard for one tenant alone.

What a vendor embeds in its own settings page. The link names the tenant and the key
that made it; opening it starts a session bound to that tenant with the rights of a
tenant managing its own endpoints (`sessions.PORTAL_ROLE`). Revoking the key that made
a link ends the link and every session opened from it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from hookline.domain.clock import utcnow
from hookline.domain.errors import Forbidden, Unauthorized, ValidationReport
from hookline.domain.models import Principal, Tenant
from hookline.services import sessions
from hookline.services.access import Permission, require, resolve_tenant
from hookline.services.context import Context
from hookline.store import tenants as tenant_store

PORTAL_LINK = "portal-link"
PATH_PREFIX = "/ui/portal/"
DEFAULT_EXPIRES_IN = 3600
MIN_EXPIRES_IN = 60
MAX_EXPIRES_IN = 7 * 86400


@dataclass(frozen=True, slots=True)
class PortalLink:
    tenant: Tenant
    token: str
    expires_at: datetime

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + PATH_PREFIX + self.token


class LinkRefused(Forbidden):
    """A portal link that is altered, expired, or whose maker has lost its rights."""

    def __init__(self, detail: str, *, expired: bool = False) -> None:
        super().__init__(detail)
        self.expired = expired


async def create_link(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    expires_in: int = DEFAULT_EXPIRES_IN,
    now: datetime | None = None,
) -> PortalLink:
    """A link for `tenant`; the maker must itself hold every right the link grants."""
    require(principal, Permission.MANAGE_ENDPOINTS)
    require(principal, Permission.OPERATE)
    report = ValidationReport()
    if not MIN_EXPIRES_IN <= expires_in <= MAX_EXPIRES_IN:
        report.add(
            "body.expires_in",
            f"between {MIN_EXPIRES_IN} and {MAX_EXPIRES_IN} seconds (7 days)",
            expires_in,
        )
    report.raise_if_any()
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
    expires_at = (now or utcnow()) + timedelta(seconds=expires_in)
    token = sessions.sign(
        ctx,
        PORTAL_LINK,
        {
            "k": principal.key_id,
            "t": owner.id,
            "exp": int(expires_at.timestamp()),
            "j": secrets.token_urlsafe(9),  # two links made in one second still differ
        },
    )
    return PortalLink(owner, token, expires_at.replace(microsecond=0))


async def open_link(ctx: Context, token: str, *, now: datetime | None = None) -> sessions.Issued:
    """A session bound to the link's tenant; LinkRefused for a bad or expired link."""
    try:
        claims = sessions.verify(ctx, PORTAL_LINK, token, now=now)
    except sessions.InvalidToken as exc:
        if exc.expired:
            raise LinkRefused(
                "This portal link has expired; ask for a new one.", expired=True
            ) from exc
        raise LinkRefused("This portal link is not valid.") from exc
    principal = Principal(str(claims.get("k")), sessions.PORTAL_ROLE, str(claims.get("t")))
    issued = sessions.issue(ctx, principal, kind=sessions.SessionKind.PORTAL, now=now)
    # Check the maker's key now, as every later request will.
    try:
        await sessions.resume(ctx, issued.token, now=now)
    except Unauthorized as exc:
        raise LinkRefused("This portal link is not valid any more.") from exc
    async with ctx.db.read() as conn:
        if await tenant_store.get_tenant(conn, principal.tenant_id or "") is None:
            raise LinkRefused("This portal link is not valid any more.")
    return issued
