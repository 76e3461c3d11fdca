"""services.event_types: the catalogue an operator keeps; archiving refuses new subscribers."""

from __future__ import annotations

import pytest

from hookline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from hookline.domain.models import TEST_EVENT_TYPE
from hookline.services import event_types
from support.services import ADMIN, CI, RUNTIME, World, bound

SCHEMA = {"type": "object", "required": ["id"]}


async def test_create_stores_the_type_and_refuses_a_taken_name_or_bad_fields(
    world: World,
) -> None:
    made = await event_types.create(
        world.ctx, ADMIN, name="invoice.paid", description="Paid", schema=SCHEMA
    )
    stored = await event_types.get(world.ctx, RUNTIME, "invoice.paid")
    assert stored == made
    assert (stored.description, stored.schema, stored.archived) == ("Paid", SCHEMA, False)
    with pytest.raises(Conflict, match="already exists"):
        await event_types.create(world.ctx, ADMIN, name="invoice.paid")
    with pytest.raises(InvalidInput) as caught:
        await event_types.create(world.ctx, ADMIN, name=".bad", schema={"type": "nothing"})
    assert {e.location for e in caught.value.errors} == {"body.name", "body.schema"}
    with pytest.raises(InvalidInput) as caught:
        await event_types.create(world.ctx, ADMIN, name="ok", schema=["not", "an", "object"])  # type: ignore[arg-type]
    assert [e.location for e in caught.value.errors] == ["body.schema"]
    with pytest.raises(NotFound):
        await event_types.get(world.ctx, ADMIN, "ok")


async def test_the_catalogue_is_the_operators_alone_to_change(world: World) -> None:
    tenant = await world.tenant()
    for principal in (CI, bound(tenant)):
        with pytest.raises(Forbidden):
            await event_types.create(world.ctx, principal, name="order.created")
    await world.event_type("order.created")
    with pytest.raises(Forbidden):
        await event_types.update(world.ctx, bound(tenant), "order.created", description="x")
    assert (await event_types.get(world.ctx, bound(tenant), "order.created")).description == ""


async def test_update_changes_what_it_is_given_and_archives(world: World) -> None:
    await world.event_type("order.created", description="New order", schema=SCHEMA)
    described = await event_types.update(world.ctx, ADMIN, "order.created", description="Order")
    assert (described.description, described.schema) == ("Order", SCHEMA)
    cleared = await event_types.update(world.ctx, ADMIN, "order.created", schema=None)
    assert (cleared.description, cleared.schema) == ("Order", None)
    with pytest.raises(NotFound):
        await event_types.update(world.ctx, ADMIN, "order.missing", description="x")
    # Archived types leave the list, and come back when unarchived.
    await world.event_type("a.one")
    await world.event_type("a.two")
    await event_types.archive(world.ctx, ADMIN, "a.one")
    assert (await event_types.get(world.ctx, ADMIN, "a.one")).archived
    listed = await event_types.list_(world.ctx, RUNTIME)
    assert [t.name for t in listed.items] == ["a.two", "order.created", TEST_EVENT_TYPE]
    everything = await event_types.list_(world.ctx, RUNTIME, include_archived=True)
    assert [t.name for t in everything.items] == [
        "a.one",
        "a.two",
        "order.created",
        TEST_EVENT_TYPE,
    ]
    restored = await event_types.update(world.ctx, ADMIN, "a.one", archived=False)
    assert not restored.archived


async def test_the_test_event_type_always_exists(world: World) -> None:
    await event_types.ensure_builtin(world.ctx)  # a second start finds it
    assert (await event_types.get(world.ctx, ADMIN, TEST_EVENT_TYPE)).name == TEST_EVENT_TYPE
    with pytest.raises(InvalidInput, match="cannot be archived"):
        await event_types.archive(world.ctx, ADMIN, TEST_EVENT_TYPE)
    with pytest.raises(InvalidInput) as caught:
        await event_types.update(world.ctx, ADMIN, TEST_EVENT_TYPE, archived=True)
    assert [e.location for e in caught.value.errors] == ["body.archived"]
    with pytest.raises(Forbidden):
        await event_types.archive(world.ctx, CI, TEST_EVENT_TYPE)
    assert not (await event_types.get(world.ctx, ADMIN, TEST_EVENT_TYPE)).archived
