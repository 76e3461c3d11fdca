"""services.tenants: create, find-or-create by uid, list, change and delete tenants."""

from __future__ import annotations

import pytest

from hookline.domain.errors import (
    Conflict,
    Forbidden,
    ForeignTenant,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from hookline.domain.models import Role
from hookline.services import api_keys, tenants
from support.services import ADMIN, CI, World, bound


async def test_create_stores_the_tenant_and_refuses_a_taken_uid_or_bad_fields(world: World) -> None:
    ctx = world.ctx
    made = await tenants.create(
        ctx, ADMIN, name="Acme", uid="acme", metadata={"plan": "pro"}, max_endpoints=3
    )
    assert made.id.startswith("ten_")
    stored = await tenants.get(ctx, ADMIN, "acme")
    assert (stored.id, stored.name, stored.metadata, stored.max_endpoints) == (
        made.id,
        "Acme",
        {"plan": "pro"},
        3,
    )
    with pytest.raises(Conflict, match="already taken"):
        await tenants.create(ctx, ADMIN, name="Other", uid="acme")
    with pytest.raises(InvalidInput) as caught:
        await tenants.create(ctx, ADMIN, name=" ", uid="ten_looks_like_an_id")
    assert {e.location for e in caught.value.errors} == {"body.name", "body.uid"}
    with pytest.raises(InvalidInput) as caught:
        await tenants.create(ctx, ADMIN, name="x" * 201)
    assert [e.location for e in caught.value.errors] == ["body.name"]
    assert [t.id for t in (await tenants.list_(ctx, ADMIN)).items] == [made.id]


async def test_only_an_operator_admin_creates_and_deletes_and_bound_keys_see_their_own(
    world: World,
) -> None:
    a = await world.tenant("A")
    with pytest.raises(Forbidden):
        await tenants.create(world.ctx, CI, name="C")
    with pytest.raises(Forbidden, match="bound to one tenant"):
        await tenants.create(world.ctx, bound(a), name="C")
    with pytest.raises(Forbidden, match="bound to one tenant"):
        await tenants.delete(world.ctx, bound(a), a.id)
    assert (await tenants.get(world.ctx, ADMIN, a.id)).id == a.id
    # A bound key lists and reads its own tenant alone.
    b = await world.tenant("B")
    assert {t.id for t in (await tenants.list_(world.ctx, ADMIN)).items} == {a.id, b.id}
    assert [t.id for t in (await tenants.list_(world.ctx, bound(a, Role.RUNTIME))).items] == [a.id]
    with pytest.raises(ForeignTenant):
        await tenants.get(world.ctx, bound(a, Role.RUNTIME), b.id)


async def test_get_or_create_returns_the_existing_tenant_by_uid(world: World) -> None:
    first, created = await tenants.get_or_create(world.ctx, ADMIN, name="Acme", uid="acme")
    again, created_again = await tenants.get_or_create(world.ctx, ADMIN, name="Other", uid="acme")
    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.name == "Acme"
    other = await world.tenant("B", uid="b")
    with pytest.raises(ForeignTenant):
        await tenants.get_or_create(world.ctx, bound(first), name="B", uid="b")
    assert (await tenants.get(world.ctx, ADMIN, "b")).id == other.id


async def test_update_changes_what_it_is_given_and_keeps_the_rest(world: World) -> None:
    a = await world.tenant("A", uid="a", metadata={"k": "v"}, max_endpoints=5)
    await world.tenant("B", uid="b")
    changed = await tenants.update(world.ctx, ADMIN, "a", name="A2")
    assert (changed.name, changed.uid, changed.metadata, changed.max_endpoints) == (
        "A2",
        "a",
        {"k": "v"},
        5,
    )
    cleared = await tenants.update(world.ctx, bound(a), a.id, uid=None, max_endpoints=None)
    assert (cleared.uid, cleared.max_endpoints, cleared.name) == (None, None, "A2")
    with pytest.raises(Conflict, match="already taken"):
        await tenants.update(world.ctx, ADMIN, a.id, uid="b")
    with pytest.raises(InvalidInput) as caught:
        await tenants.update(world.ctx, ADMIN, a.id, uid="bad uid")
    assert [e.location for e in caught.value.errors] == ["body.uid"]


async def test_delete_removes_the_tenant_and_ends_its_keys_at_once(world: World) -> None:
    a = await world.tenant("A")
    made = await api_keys.create(world.ctx, ADMIN, name="a's", role=Role.CI, tenant=a.id)
    assert (await api_keys.authenticate(world.ctx, made.secret)).tenant_id == a.id
    await tenants.delete(world.ctx, ADMIN, a.id)
    with pytest.raises(NotFound):
        await tenants.get(world.ctx, ADMIN, a.id)
    with pytest.raises(Unauthorized, match="Unknown API key"):
        await api_keys.authenticate(world.ctx, made.secret)
