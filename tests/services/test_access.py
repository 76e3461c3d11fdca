"""services.access: which role may do what, and which tenants and endpoints a key sees."""

from __future__ import annotations

import pytest

from hookline.domain.errors import Forbidden, ForeignTenant, NotFound
from hookline.domain.models import Role
from hookline.services import access
from hookline.services.access import Permission
from support.services import ADMIN, CI, RUNTIME, World, bound


def test_each_role_holds_exactly_its_permissions() -> None:
    held = {
        p.role: {perm for perm in Permission if access.allows(p, perm)}
        for p in (ADMIN, CI, RUNTIME)
    }
    assert held[Role.ADMIN] == set(Permission)
    assert held[Role.CI] == set(Permission) - {Permission.ADMIN}
    assert held[Role.RUNTIME] == {Permission.READ, Permission.PUBLISH}
    with pytest.raises(Forbidden, match="A runtime key may not manage endpoints"):
        access.require(RUNTIME, Permission.MANAGE_ENDPOINTS)
    access.require(CI, Permission.OPERATE)


def test_operator_actions_refuse_tenant_bound_keys() -> None:
    access.require_operator(ADMIN)
    with pytest.raises(Forbidden, match="bound to one tenant"):
        access.require_operator(bound("ten_x"))


async def test_tenants_resolve_by_id_or_uid_within_the_keys_scope(world: World) -> None:
    a = await world.tenant("A", uid="a-corp")
    b = await world.tenant("B")
    async with world.ctx.db.read() as conn:
        assert (await access.resolve_tenant(conn, ADMIN, "a-corp")).id == a.id
        assert (await access.resolve_tenant(conn, bound(a), a.id)).id == a.id
        with pytest.raises(NotFound):
            await access.resolve_tenant(conn, ADMIN, "ten_missing")
        # A bound key learns nothing of other tenants: 403 whether they exist or not.
        for other in (b.id, "ten_missing", "no-such-uid"):
            with pytest.raises(ForeignTenant):
                await access.resolve_tenant(conn, bound(a), other)


async def test_an_endpoint_is_found_only_within_its_own_tenant(world: World) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    ep = await world.endpoint(a, uid="orders")
    async with world.ctx.db.read() as conn:
        for ref in (ep.id, "orders"):
            found = await access.resolve_endpoint(conn, ADMIN, world.ctx.cipher, a.id, ref)
            assert found.id == ep.id
        with pytest.raises(NotFound, match="No endpoint"):
            await access.resolve_endpoint(conn, ADMIN, world.ctx.cipher, b.id, ep.id)
        with pytest.raises(ForeignTenant):
            await access.resolve_endpoint(conn, bound(b), world.ctx.cipher, a.id, ep.id)
