"""services.endpoints called directly: create, change (unset, null, a value), replace by
uid, delete, rotate and reveal the secret, and who may do each — on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.app import Runtime
from hookline.domain.errors import Conflict, Forbidden, ForeignTenant, InvalidInput, NotFound
from hookline.domain.models import (
    AuthType,
    DeliveryStatus,
    EndpointAuth,
    Principal,
    Role,
    SignatureConfig,
    Tenant,
)
from hookline.domain.outgoing import MASK
from hookline.domain.signing import HMAC_SHA256_HEX, STANDARD_WEBHOOKS_ED25519
from hookline.services import deliveries, endpoints, event_types, publish, tenants
from hookline.services.context import Context
from hookline.services.endpoint_change import EndpointChange, HeaderEdit
from hookline.services.endpoint_rules import EndpointSpec
from support.harness import settings_for

ADMIN = Principal("key_operator_admin", Role.ADMIN, None)
CI = Principal("key_operator_ci", Role.CI, None)
RUNTIME = Principal("key_operator_runtime", Role.RUNTIME, None)
URL = "https://hooks.example.com/in"


@pytest.fixture
async def ctx(db_url: str) -> AsyncIterator[Context]:
    """The Context `hookline serve` builds, on this test's (migrated) database."""
    runtime = Runtime.build(settings_for(db_url))
    await runtime.prepare(migrate_schema=False, bootstrap_admin=False)
    await event_types.create(runtime.ctx, ADMIN, name="invoice.paid")
    try:
        yield runtime.ctx
    finally:
        await runtime.close()


@pytest.fixture
async def acme(ctx: Context) -> Tenant:
    return await tenants.create(ctx, ADMIN, name="Acme", uid="acme")


def spec(**kw: Any) -> EndpointSpec:
    return EndpointSpec(**{"url": URL, "events": ["invoice.paid"], **kw})


# -- create ------------------------------------------------------------------------------


async def test_create_stores_the_endpoint_and_shows_its_secret_once(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec(uid="crm", timeout=10))
    assert made.secret is not None and made.secret.startswith("whsec_")
    stored = await endpoints.get(ctx, ADMIN, tenant=acme.id, endpoint="crm")
    assert (stored.id, stored.url, stored.events, stored.timeout, stored.has_secret) == (
        made.endpoint.id,
        URL,
        ("invoice.paid",),
        10,
        True,
    )
    unsigned = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec(generate_secret=False))
    assert unsigned.secret is None and not unsigned.endpoint.has_secret


async def test_create_names_every_invalid_field_and_refuses_a_taken_uid(
    ctx: Context, acme: Tenant
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await endpoints.create(
            ctx,
            ADMIN,
            tenant="acme",
            spec=spec(events=["no.such.type"], timeout=1, headers={"Host": "x"}),
        )
    assert {e.location for e in caught.value.errors} == {
        "body.events.0",
        "body.timeout",
        "body.headers.Host",
    }
    await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec(uid="crm"))
    with pytest.raises(Conflict, match="already taken"):
        await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec(uid="crm"))


async def test_create_stops_at_the_tenants_endpoint_limit(ctx: Context) -> None:
    small = await tenants.create(ctx, ADMIN, name="Small", max_endpoints=1)
    await endpoints.create(ctx, ADMIN, tenant=small.id, spec=spec())
    with pytest.raises(Conflict, match="already has its 1 endpoints"):
        await endpoints.create(ctx, ADMIN, tenant=small.id, spec=spec())


# -- update: unset, null, a value -------------------------------------------------------


async def test_a_change_leaves_every_field_it_does_not_set(ctx: Context, acme: Tenant) -> None:
    made = await endpoints.create(
        ctx,
        ADMIN,
        tenant="acme",
        spec=spec(
            uid="crm",
            rate_limit=5,
            max_in_flight=3,
            retry_schedule=(1.0, 2.0),
            channels=["eu"],
            headers={"X-Team": "billing"},
            auth=EndpointAuth(AuthType.BEARER, {"token": "t0ken"}),
        ),
    )
    updated = await endpoints.update(
        ctx, ADMIN, tenant="acme", endpoint="crm", change=EndpointChange(description="CRM")
    )
    assert updated.description == "CRM"
    assert (updated.uid, updated.rate_limit, updated.max_in_flight) == ("crm", 5, 3)
    assert (updated.retry_schedule, updated.channels) == ((1.0, 2.0), ("eu",))
    assert updated.headers == {"X-Team": "billing"}
    assert updated.auth == EndpointAuth(AuthType.BEARER, {"token": "t0ken"})
    assert updated.signature.scheme == made.endpoint.signature.scheme


async def test_null_clears_what_may_be_cleared_and_resets_auth_and_signature(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(
        ctx,
        ADMIN,
        tenant="acme",
        spec=spec(
            uid="crm",
            rate_limit=5,
            max_in_flight=3,
            retry_schedule=(1.0,),
            channels=["eu"],
            auth=EndpointAuth(AuthType.BEARER, {"token": "t0ken"}),
            signature=SignatureConfig(HMAC_SHA256_HEX, header="X-Sig"),
        ),
    )
    cleared = EndpointChange(
        uid=None,
        rate_limit=None,
        max_in_flight=None,
        retry_schedule=None,
        channels=None,
        auth=None,
        signature=None,
    )
    updated = await endpoints.update(
        ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id, change=cleared
    )
    assert (updated.uid, updated.rate_limit, updated.max_in_flight) == (None, None, None)
    assert (updated.retry_schedule, updated.channels) == (None, ())
    assert updated.auth == EndpointAuth(AuthType.NONE)
    assert updated.signature == SignatureConfig()
    stored = await endpoints.get(ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id)
    assert (stored.uid, stored.rate_limit, stored.auth.type) == (None, None, AuthType.NONE)


async def test_a_value_sets_the_field_and_is_validated_like_a_new_endpoint(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    change = EndpointChange(
        url="https://other.example.com/hook",
        events=("invoice.paid", "invoice.paid", "webhook.test"),
        timeout=60,
        channels=("eu", "us"),
    )
    updated = await endpoints.update(
        ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id, change=change
    )
    assert updated.url == "https://other.example.com/hook"
    assert updated.events == ("invoice.paid", "webhook.test")  # duplicates dropped
    assert (updated.timeout, updated.channels) == (60, ("eu", "us"))
    with pytest.raises(InvalidInput) as caught:
        await endpoints.update(
            ctx,
            ADMIN,
            tenant="acme",
            endpoint=made.endpoint.id,
            change=EndpointChange(timeout=500, events=()),
        )
    assert {e.location for e in caught.value.errors} == {"body.timeout", "body.events"}


async def test_a_masked_credential_keeps_the_stored_one_and_is_refused_with_none_behind_it(
    ctx: Context, acme: Tenant
) -> None:
    bearer = EndpointAuth(AuthType.BEARER, {"token": "t0ken"})
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec(auth=bearer))
    echoed = EndpointChange(auth=EndpointAuth(AuthType.BEARER, {"token": MASK}))
    kept = await endpoints.update(
        ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id, change=echoed
    )
    assert kept.auth == bearer
    other_type = EndpointChange(
        auth=EndpointAuth(AuthType.BASIC, {"username": "u", "password": MASK})
    )
    with pytest.raises(InvalidInput) as caught:
        await endpoints.update(
            ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id, change=other_type
        )
    assert [e.location for e in caught.value.errors] == ["body.auth.password"]
    stored = await endpoints.get(ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id)
    assert stored.auth == bearer


async def test_a_header_edit_applies_to_the_stored_headers_without_regard_to_case(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(
        ctx, ADMIN, tenant="acme", spec=spec(headers={"X-Team": "billing", "X-Old": "1"})
    )
    edit = HeaderEdit(put={"x-team": "sales", "X-New": "2", "X-Gone": None}, remove=("x-old",))
    updated = await endpoints.update(
        ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id, change=EndpointChange(headers=edit)
    )
    assert updated.headers == {"x-team": "sales", "X-New": "2"}
    replaced = await endpoints.update(
        ctx,
        ADMIN,
        tenant="acme",
        endpoint=made.endpoint.id,
        change=EndpointChange(headers={"X-Only": "3"}),
    )
    assert replaced.headers == {"X-Only": "3"}


async def test_a_header_that_hookline_sets_for_the_endpoint_is_refused(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(
        ctx,
        ADMIN,
        tenant="acme",
        spec=spec(auth=EndpointAuth(AuthType.API_KEY, {"header": "X-Api-Key", "value": "v"})),
    )
    with pytest.raises(InvalidInput) as caught:
        await endpoints.update(
            ctx,
            ADMIN,
            tenant="acme",
            endpoint=made.endpoint.id,
            change=EndpointChange(headers={"x-api-key": "mine"}),
        )
    assert [e.location for e in caught.value.errors] == ["body.headers.x-api-key"]


async def test_a_uid_taken_by_another_endpoint_conflicts(ctx: Context, acme: Tenant) -> None:
    await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec(uid="crm"))
    other = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    with pytest.raises(Conflict, match="already taken"):
        await endpoints.update(
            ctx, ADMIN, tenant="acme", endpoint=other.endpoint.id, change=EndpointChange(uid="crm")
        )


async def test_re_enabling_clears_the_reason_it_was_disabled(ctx: Context, acme: Tenant) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    ref = made.endpoint.id
    off = await endpoints.update(
        ctx, ADMIN, tenant="acme", endpoint=ref, change=EndpointChange(enabled=False)
    )
    assert (off.enabled, off.disabled_reason) == (False, "disabled by a user")
    on = await endpoints.update(
        ctx, ADMIN, tenant="acme", endpoint=ref, change=EndpointChange(enabled=True)
    )
    assert (on.enabled, on.disabled_reason) == (True, None)


async def test_a_scheme_change_keeps_a_secret_that_signs_and_gives_ed25519_a_key_pair(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    ref = made.endpoint.id
    hexed = await endpoints.update(
        ctx,
        ADMIN,
        tenant="acme",
        endpoint=ref,
        change=EndpointChange(signature=SignatureConfig(HMAC_SHA256_HEX)),
    )
    assert hexed.signature.scheme == HMAC_SHA256_HEX
    assert await endpoints.reveal_secret(ctx, ADMIN, tenant="acme", endpoint=ref) == made.secret
    keyed = await endpoints.update(
        ctx,
        ADMIN,
        tenant="acme",
        endpoint=ref,
        change=EndpointChange(signature=SignatureConfig(STANDARD_WEBHOOKS_ED25519)),
    )
    assert keyed.signature.public_key is not None and keyed.signature.public_key.startswith("whpk_")
    key = await endpoints.reveal_secret(ctx, ADMIN, tenant="acme", endpoint=ref)
    assert key.startswith("whsk_")
    with pytest.raises(InvalidInput) as caught:
        await endpoints.update(
            ctx,
            ADMIN,
            tenant="acme",
            endpoint=ref,
            change=EndpointChange(signature=SignatureConfig(HMAC_SHA256_HEX)),
        )
    assert [e.location for e in caught.value.errors] == ["body.signature.scheme"]
    assert await endpoints.reveal_secret(ctx, ADMIN, tenant="acme", endpoint=ref) == key


async def test_update_of_an_unknown_endpoint_is_not_found(ctx: Context, acme: Tenant) -> None:
    with pytest.raises(NotFound, match="No endpoint 'nope'"):
        await endpoints.update(
            ctx, ADMIN, tenant="acme", endpoint="nope", change=EndpointChange(enabled=False)
        )


# -- put ----------------------------------------------------------------------------------


async def test_put_creates_then_replaces_every_field_but_the_secret(
    ctx: Context, acme: Tenant
) -> None:
    first, created = await endpoints.put(
        ctx,
        ADMIN,
        tenant="acme",
        uid="crm",
        spec=spec(description="CRM", rate_limit=5, headers={"X-Team": "billing"}),
    )
    assert created and first.secret is not None and first.endpoint.uid == "crm"
    again, created = await endpoints.put(
        ctx, ADMIN, tenant="acme", uid="crm", spec=spec(timeout=45)
    )
    assert not created and again.secret is None
    assert again.endpoint.id == first.endpoint.id
    assert (again.endpoint.description, again.endpoint.rate_limit) == ("", None)
    assert (again.endpoint.headers, again.endpoint.timeout) == ({}, 45)
    secret = await endpoints.reveal_secret(ctx, ADMIN, tenant="acme", endpoint="crm")
    assert secret == first.secret


# -- delete ---------------------------------------------------------------------------------


async def test_delete_removes_the_endpoint_and_fails_its_pending_deliveries(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    published = await publish.publish(
        ctx, ADMIN, tenant="acme", event_type="invoice.paid", payload={"n": 1}
    )
    [delivery_id] = published.delivery_ids
    await endpoints.delete(ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id)
    with pytest.raises(NotFound):
        await endpoints.get(ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id)
    ended = await deliveries.get(ctx, ADMIN, tenant="acme", delivery=delivery_id)
    assert (ended.status, ended.failure_reason) == (DeliveryStatus.FAILED, "endpoint deleted")
    with pytest.raises(NotFound):
        await endpoints.delete(ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id)


# -- rotate and reveal -------------------------------------------------------------------


async def test_rotate_shows_a_new_secret_that_reveal_then_returns(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    ref = made.endpoint.id
    rotated = await endpoints.rotate_secret(ctx, ADMIN, tenant="acme", endpoint=ref)
    assert rotated.secret is not None and rotated.secret != made.secret
    assert await endpoints.reveal_secret(ctx, ADMIN, tenant="acme", endpoint=ref) == rotated.secret
    mine = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    supplied = await endpoints.rotate_secret(
        ctx, ADMIN, tenant="acme", endpoint=ref, secret=mine, grace_period=0
    )
    assert supplied.secret == mine
    assert await endpoints.reveal_secret(ctx, ADMIN, tenant="acme", endpoint=ref) == mine


async def test_rotate_refuses_a_bad_grace_period_and_a_bad_secret(
    ctx: Context, acme: Tenant
) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    with pytest.raises(InvalidInput) as caught:
        await endpoints.rotate_secret(
            ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id, grace_period=-1
        )
    assert [e.location for e in caught.value.errors] == ["body.grace_period"]
    with pytest.raises(InvalidInput) as caught:
        await endpoints.rotate_secret(
            ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id, secret="not-a-secret"
        )
    assert [e.location for e in caught.value.errors] == ["body.secret"]


async def test_reveal_of_an_unsigned_endpoint_is_not_found(ctx: Context, acme: Tenant) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec(generate_secret=False))
    with pytest.raises(NotFound, match="has no secret"):
        await endpoints.reveal_secret(ctx, ADMIN, tenant="acme", endpoint=made.endpoint.id)


# -- roles ----------------------------------------------------------------------------------


async def test_a_runtime_key_reads_but_changes_nothing(ctx: Context, acme: Tenant) -> None:
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    ref = made.endpoint.id
    assert (await endpoints.get(ctx, RUNTIME, tenant="acme", endpoint=ref)).id == ref
    assert [e.id for e in (await endpoints.list_(ctx, RUNTIME, tenant="acme")).items] == [ref]
    change = EndpointChange(enabled=False)
    for refused in (
        endpoints.create(ctx, RUNTIME, tenant="acme", spec=spec()),
        endpoints.update(ctx, RUNTIME, tenant="acme", endpoint=ref, change=change),
        endpoints.put(ctx, RUNTIME, tenant="acme", uid="crm", spec=spec()),
        endpoints.delete(ctx, RUNTIME, tenant="acme", endpoint=ref),
        endpoints.rotate_secret(ctx, RUNTIME, tenant="acme", endpoint=ref),
        endpoints.reveal_secret(ctx, RUNTIME, tenant="acme", endpoint=ref),
    ):
        with pytest.raises(Forbidden, match="A runtime key may not"):
            await refused
    assert (await endpoints.get(ctx, ADMIN, tenant="acme", endpoint=ref)).enabled


async def test_a_ci_key_manages_and_rotates(ctx: Context, acme: Tenant) -> None:
    made = await endpoints.create(ctx, CI, tenant="acme", spec=spec())
    ref = made.endpoint.id
    off = await endpoints.update(
        ctx, CI, tenant="acme", endpoint=ref, change=EndpointChange(enabled=False)
    )
    assert not off.enabled
    assert (await endpoints.rotate_secret(ctx, CI, tenant="acme", endpoint=ref)).secret
    await endpoints.delete(ctx, CI, tenant="acme", endpoint=ref)


async def test_a_key_bound_to_another_tenant_reaches_none_of_its_endpoints(
    ctx: Context, acme: Tenant
) -> None:
    other = await tenants.create(ctx, ADMIN, name="Other")
    made = await endpoints.create(ctx, ADMIN, tenant="acme", spec=spec())
    stranger = Principal("key_other_admin", Role.ADMIN, other.id)
    ref = made.endpoint.id
    with pytest.raises(ForeignTenant):
        await endpoints.get(ctx, stranger, tenant="acme", endpoint=ref)
    with pytest.raises(ForeignTenant):
        await endpoints.update(
            ctx, stranger, tenant="acme", endpoint=ref, change=EndpointChange(enabled=False)
        )
    with pytest.raises(NotFound):  # its own tenant has no such endpoint
        await endpoints.update(
            ctx, stranger, tenant=other.id, endpoint=ref, change=EndpointChange(enabled=False)
        )
    mine = Principal("key_acme_admin", Role.ADMIN, acme.id)
    assert (await endpoints.get(ctx, mine, tenant="acme", endpoint=ref)).id == ref
