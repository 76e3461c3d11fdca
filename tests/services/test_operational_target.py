"""services.operational_target: the operator's own tenant and endpoint for Hookline's events."""

from __future__ import annotations

import logging

import pytest

from hookline.domain.operational_events import ENDPOINT_UID, EVENT_TYPES, TENANT_UID
from hookline.domain.signing import generate_for
from hookline.services import endpoints, event_types, operational_target, tenants
from support.services import ADMIN, World


async def test_the_target_is_made_once_and_follows_the_configured_url_and_secret(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    first_secret, second_secret = (
        generate_for("standard-webhooks"),
        generate_for("standard-webhooks"),
    )
    target = await operational_target.ensure_target(
        world.ctx, url="https://ops.example.com/a", secret=first_secret
    )
    tenant = await tenants.get(world.ctx, ADMIN, TENANT_UID)
    endpoint = await endpoints.get(world.ctx, ADMIN, tenant=tenant.id, endpoint=ENDPOINT_UID)
    assert (target.tenant_id, target.endpoint_id) == (tenant.id, endpoint.id)
    assert (tenant.max_endpoints, endpoint.url) == (1, "https://ops.example.com/a")
    assert sorted(endpoint.events) == sorted(EVENT_TYPES)
    for name in EVENT_TYPES:
        assert (await event_types.get(world.ctx, ADMIN, name)).name == name
    secret = await endpoints.reveal_secret(world.ctx, ADMIN, tenant=tenant.id, endpoint=endpoint.id)
    assert secret == first_secret

    # The next start with other settings changes the same endpoint.
    again = await operational_target.ensure_target(
        world.ctx, url="https://ops.example.com/b", secret=second_secret
    )
    assert again == target
    moved = await endpoints.get(world.ctx, ADMIN, tenant=tenant.id, endpoint=endpoint.id)
    assert moved.url == "https://ops.example.com/b"
    assert (
        await endpoints.reveal_secret(world.ctx, ADMIN, tenant=tenant.id, endpoint=endpoint.id)
        == second_secret
    )
    assert [t.id for t in (await tenants.list_(world.ctx, ADMIN)).items] == [tenant.id]

    with caplog.at_level(logging.WARNING):
        await operational_target.ensure_target(
            world.ctx, url="https://ops.example.com/b", secret=None
        )
    assert "sent unsigned" in caplog.text
    unsigned = await endpoints.get(world.ctx, ADMIN, tenant=tenant.id, endpoint=endpoint.id)
    assert not unsigned.has_secret
