"""services.portal: signed links that open the dashboard for one tenant alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.errors import Forbidden, ForeignTenant, InvalidInput, NotFound
from hookline.domain.models import Principal, Role
from hookline.services import api_keys, portal, sessions, tenants
from hookline.services.portal import LinkRefused
from support.services import ADMIN, World, bound


async def test_a_link_opens_a_portal_session_for_its_tenant_alone(world: World) -> None:
    tenant = await world.tenant(uid="acme")
    maker = await api_keys.create(world.ctx, ADMIN, name="vendor", role=Role.CI)
    issuer = await api_keys.authenticate(world.ctx, maker.secret)
    link = await portal.create_link(world.ctx, issuer, tenant="acme", expires_in=600)
    assert link.tenant.id == tenant.id
    assert link.url("https://hooks.example.com/") == (
        "https://hooks.example.com/ui/portal/" + link.token
    )
    issued = await portal.open_link(world.ctx, link.token)
    assert issued.session.kind is sessions.SessionKind.PORTAL
    assert issued.session.principal == Principal(maker.key.id, sessions.PORTAL_ROLE, tenant.id)
    resumed = await sessions.resume(world.ctx, issued.token)
    assert resumed.principal.tenant_id == tenant.id
    second = await portal.create_link(world.ctx, issuer, tenant=tenant.id)
    assert second.token != link.token


async def test_only_keys_holding_the_links_rights_make_one_for_a_tenant_they_see(
    world: World,
) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    runtime = Principal("key_rt", Role.RUNTIME, None)
    with pytest.raises(Forbidden):
        await portal.create_link(world.ctx, runtime, tenant=a.id)
    with pytest.raises(ForeignTenant):
        await portal.create_link(world.ctx, bound(a, Role.CI), tenant=b.id)
    with pytest.raises(NotFound):
        await portal.create_link(world.ctx, ADMIN, tenant="ten_none")
    for expires_in in (59, 7 * 86400 + 1):
        with pytest.raises(InvalidInput) as caught:
            await portal.create_link(world.ctx, ADMIN, tenant=a.id, expires_in=expires_in)
        assert [e.location for e in caught.value.errors] == ["body.expires_in"]


async def test_expired_altered_and_orphaned_links_are_refused(world: World) -> None:
    tenant = await world.tenant()
    maker = await api_keys.create(world.ctx, ADMIN, name="vendor", role=Role.ADMIN)
    issuer = Principal(maker.key.id, Role.ADMIN, None)
    old = await portal.create_link(
        world.ctx, issuer, tenant=tenant.id, now=datetime.now(UTC) - timedelta(hours=2)
    )
    with pytest.raises(LinkRefused) as caught:
        await portal.open_link(world.ctx, old.token)
    assert caught.value.expired
    link = await portal.create_link(world.ctx, issuer, tenant=tenant.id)
    with pytest.raises(LinkRefused) as caught:
        await portal.open_link(
            world.ctx, link.token[:-2] + ("yy" if link.token.endswith("xx") else "xx")
        )
    assert not caught.value.expired
    with pytest.raises(LinkRefused):  # a session token is no link
        await portal.open_link(world.ctx, (await sessions.sign_in(world.ctx, maker.secret)).token)

    other = await world.tenant("Other")
    doomed = await portal.create_link(world.ctx, issuer, tenant=other.id)
    await tenants.delete(world.ctx, ADMIN, other.id)
    with pytest.raises(LinkRefused, match="not valid any more"):
        await portal.open_link(world.ctx, doomed.token)
    await api_keys.revoke(world.ctx, ADMIN, maker.key.id)
    with pytest.raises(LinkRefused, match="not valid any more"):
        await portal.open_link(world.ctx, link.token)
