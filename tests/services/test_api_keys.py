"""services.api_keys: keys are shown once, scoped to their tenant, revoked for good."""

from __future__ import annotations

import pytest

from hookline.domain import api_keys as key_format
from hookline.domain.errors import Forbidden, ForeignTenant, InvalidInput, NotFound, Unauthorized
from hookline.domain.models import Principal, Role
from hookline.services import api_keys
from hookline.store import api_keys as key_store
from support.services import ADMIN, CI, World, bound


async def test_a_created_key_authenticates_as_its_role_and_tenant_and_others_do_not(
    world: World,
) -> None:
    a = await world.tenant("A")
    made = await api_keys.create(world.ctx, ADMIN, name="deploy", role=Role.CI, tenant=a.id)
    assert key_format.role_of(made.secret) is Role.CI
    assert made.key.prefix == key_format.display_prefix(made.secret)
    principal = await api_keys.authenticate(world.ctx, made.secret)
    assert principal == Principal(made.key.id, Role.CI, a.id)
    async with world.ctx.db.read() as conn:
        stored = await key_store.get_key(conn, made.key.id)
        found = await key_store.get_by_hash(conn, key_format.hash_key(made.secret))
    assert stored is not None and stored.last_used_at is not None  # touched on first use
    assert found is not None and made.secret not in found[1]  # only the hash is stored
    # Missing, mistyped (the checksum tells) and unknown keys are refused.
    typo = made.secret[:-1] + ("a" if made.secret[-1] != "a" else "b")
    for secret, why in ((None, "required"), ("", "required"), (typo, "checksum")):
        with pytest.raises(Unauthorized, match=why):
            await api_keys.authenticate(world.ctx, secret)
    with pytest.raises(Unauthorized, match="Unknown"):
        await api_keys.authenticate(world.ctx, "some-long-operator-chosen-secret-string")


async def test_create_checks_the_name_the_role_and_the_tenant(world: World) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    with pytest.raises(InvalidInput) as caught:
        await api_keys.create(world.ctx, ADMIN, name="", role=Role.RUNTIME)
    assert [e.location for e in caught.value.errors] == ["body.name"]
    with pytest.raises(Forbidden):
        await api_keys.create(world.ctx, CI, name="x", role=Role.RUNTIME)
    with pytest.raises(NotFound):
        await api_keys.create(world.ctx, ADMIN, name="x", role=Role.RUNTIME, tenant="ten_none")
    with pytest.raises(ForeignTenant):
        await api_keys.create(world.ctx, bound(a), name="x", role=Role.RUNTIME, tenant=b.id)
    # A tenant-bound admin's keys are bound to its tenant even when none is named.
    made = await api_keys.create(world.ctx, bound(a), name="x", role=Role.RUNTIME)
    assert made.key.tenant_id == a.id


async def test_a_bound_admin_lists_and_revokes_its_tenants_keys_alone(world: World) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    mine = await api_keys.create(world.ctx, ADMIN, name="a", role=Role.RUNTIME, tenant=a.id)
    theirs = await api_keys.create(world.ctx, ADMIN, name="b", role=Role.RUNTIME, tenant=b.id)
    listed = await api_keys.list_(world.ctx, bound(a))
    assert [k.id for k in listed.items] == [mine.key.id]
    with pytest.raises(NotFound):
        await api_keys.revoke(world.ctx, bound(a), theirs.key.id)
    await api_keys.authenticate(world.ctx, theirs.secret)
    with pytest.raises(NotFound):
        await api_keys.revoke(world.ctx, ADMIN, "key_missing")


async def test_revoked_keys_stop_working_at_once_and_a_key_cannot_revoke_itself(
    world: World,
) -> None:
    admin = await api_keys.create(world.ctx, ADMIN, name="admin", role=Role.ADMIN)
    runtime = await api_keys.create(world.ctx, ADMIN, name="rt", role=Role.RUNTIME)
    me = await api_keys.authenticate(world.ctx, admin.secret)
    await api_keys.authenticate(world.ctx, runtime.secret)  # now in the cache
    with pytest.raises(Forbidden, match="cannot revoke itself"):
        await api_keys.revoke(world.ctx, me, admin.key.id)
    await api_keys.revoke(world.ctx, me, runtime.key.id)
    with pytest.raises(Unauthorized, match="revoked"):
        await api_keys.authenticate(world.ctx, runtime.secret)
    assert [k.id for k in (await api_keys.list_(world.ctx, ADMIN)).items] == [admin.key.id]
    revoked = await api_keys.list_(world.ctx, ADMIN, include_revoked=True)
    assert {k.id for k in revoked.items} == {admin.key.id, runtime.key.id}


async def test_bootstrap_makes_one_admin_key_or_registers_the_configured_one(
    world: World,
) -> None:
    secret = await api_keys.bootstrap_admin(world.ctx, None)
    assert secret is not None
    assert (await api_keys.authenticate(world.ctx, secret)).role is Role.ADMIN
    assert await api_keys.bootstrap_admin(world.ctx, None) is None  # one exists already
    configured = "an-operator-chosen-admin-key-of-some-length"
    for _ in range(2):  # registered once, however often the process starts
        assert await api_keys.bootstrap_admin(world.ctx, configured) is None
    principal = await api_keys.authenticate(world.ctx, configured)
    assert principal.role is Role.ADMIN and principal.tenant_id is None
    assert len((await api_keys.list_(world.ctx, ADMIN)).items) == 2
