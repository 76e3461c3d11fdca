"""Dependencies shared by the routers: context, caller (and its rate limit), paging, roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from hookline.api.rate_limit import STATE_KEY, limits_of
from hookline.api.schemas.common import MAX_INT32
from hookline.domain.models import Principal
from hookline.services import api_keys
from hookline.services.access import Permission, require
from hookline.services.context import Context


async def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get("x-api-key") or None


async def principal_of(request: Request, ctx: Context) -> Principal:
    """The caller behind the key (401 otherwise), within its key's rate limit (429).

    A limited key's quota is left on the request for its answer's `RateLimit-*`
    headers (`rate_limit.RateLimitHeaders`, and the publish fast path)."""
    principal = await api_keys.authenticate(ctx, presented_key(request))
    limiter = limits_of(request.app.state, ctx.policy).limiter_for(principal)
    quota = limiter.take(principal.key_id)
    if quota is not None:
        setattr(request.state, STATE_KEY, quota)
        if quota.retry_after:
            raise limiter.refusal(quota)
    return principal


# The two ways to present a key, as the OpenAPI declares them (Swagger UI's "Authorize").
# They only describe: `presented_key` reads the headers, and answers 401 itself.
BEARER = HTTPBearer(
    scheme_name="bearer",
    description="`Authorization: Bearer <key>` with a Hookline API key",
    auto_error=False,
)
API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKey",
    description="`X-API-Key: <key>` with a Hookline API key",
    auto_error=False,
)


async def get_principal(
    request: Request,
    ctx: ContextDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    _header: Annotated[str | None, Security(API_KEY_HEADER)] = None,
) -> Principal:
    return await principal_of(request, ctx)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allowed(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that refuses (403) before the body is even looked at."""

    async def check(principal: PrincipalDep) -> Principal:
        require(principal, permission)
        return principal

    return check


Reader = Annotated[Principal, Depends(allowed(Permission.READ))]
Publisher = Annotated[Principal, Depends(allowed(Permission.PUBLISH))]
EndpointManager = Annotated[Principal, Depends(allowed(Permission.MANAGE_ENDPOINTS))]
Operator = Annotated[Principal, Depends(allowed(Permission.OPERATE))]
Admin = Annotated[Principal, Depends(allowed(Permission.ADMIN))]

Limit = Annotated[int, Query(ge=1, le=500, description="Page size (1–500)")]
Cursor = Annotated[str | None, Query(description="Opaque cursor from next_cursor")]
Offset = Annotated[
    int | None, Query(ge=0, le=MAX_INT32, description="Rows to skip (when no cursor)")
]
