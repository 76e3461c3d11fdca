"""Who may do what: roles (DESIGN §5) and tenant scope."""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.encryption import Cipher
from hookline.domain.errors import Forbidden, ForeignTenant, NotFound
from hookline.domain.models import Endpoint, Principal, Role, Tenant
from hookline.store import endpoints as endpoint_store
from hookline.store import tenants as tenant_store


class Permission(enum.Enum):
    READ = "read"
    PUBLISH = "publish"
    MANAGE_ENDPOINTS = "manage endpoints"
    OPERATE = "retry, recover, test and rotate"
    ADMIN = "administer tenants, event types and keys"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CI: frozenset(
        {
            Permission.READ,
            Permission.PUBLISH,
            Permission.MANAGE_ENDPOINTS,
            Permission.OPERATE,
        }
    ),
    Role.RUNTIME: frozenset({Permission.READ, Permission.PUBLISH}),
}


def allows(principal: Principal, permission: Permission) -> bool:
    return permission in _GRANTS[principal.role]


def require(principal: Principal, permission: Permission) -> None:
    if not allows(principal, permission):
        raise Forbidden(f"A {principal.role.value} key may not {permission.value}.")


def require_operator(principal: Principal) -> None:
    """Operator-wide actions (the tenant list, the catalogue) refuse tenant-bound keys."""
    if principal.tenant_id is not None:
        raise Forbidden("This key is bound to one tenant; this needs an operator-wide key.")


async def resolve_tenant(conn: AsyncConnection, principal: Principal, ref: str) -> Tenant:
    """The tenant named by id or uid in a path, if this key may see it."""
    return tenant_visible(principal, ref, await tenant_store.get_tenant(conn, ref))


async def resolve_endpoint(
    conn: AsyncConnection, principal: Principal, cipher: Cipher, tenant: str, endpoint: str
) -> Endpoint:
    """The endpoint named by id or uid within a tenant this key may see (404 otherwise,
    also when it belongs to another tenant)."""
    owner = await resolve_tenant(conn, principal, tenant)
    found = await endpoint_store.get_endpoint(conn, tenant_id=owner.id, ref=endpoint, cipher=cipher)
    if found is None:
        raise NotFound(f"No endpoint {endpoint!r} in this tenant.")
    return found


def tenant_visible(principal: Principal, ref: str, found: Tenant | None) -> Tenant:
    """`found` (the tenant `ref` names, if any) when this key may see it.

    A tenant-bound key asking for any other tenant gets 403 whether or not that tenant
    exists, so the answer reveals nothing.
    """
    if principal.tenant_id is not None and (found is None or found.id != principal.tenant_id):
        raise ForeignTenant("This key is bound to another tenant.")
    if found is None:
        raise NotFound(f"No tenant {ref!r}.")
    return found
