"""services.endpoint_rules: one check of an endpoint's settings names every problem."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hookline.domain.errors import InvalidInput, RefusedTarget
from hookline.domain.models import AuthType, EndpointAuth, SignatureConfig
from hookline.services import event_types
from hookline.services.endpoint_rules import EndpointSpec, check_destination, validate_spec
from support.services import ADMIN, StaticResolver, World


async def _problems(world: World, spec: EndpointSpec, **kw: object) -> dict[str, str]:
    async with world.ctx.db.read() as conn:
        with pytest.raises(InvalidInput) as caught:
            await validate_spec(conn, world.ctx.policy, spec, **kw)  # type: ignore[arg-type]
    return {e.location: e.message for e in caught.value.errors}


async def test_a_valid_spec_comes_back_normalised(world: World) -> None:
    await world.event_type("order.created")
    spec = EndpointSpec(
        url="HTTPS://Hooks.Example.COM.",
        events=["order.created", "order.*", "order.created"],
        channels=["eu", "eu"],
        headers={"X-Team": "billing"},
        auth=EndpointAuth(AuthType.BEARER, {"token": "t0k"}),
    )
    async with world.ctx.db.read() as conn:
        checked = await validate_spec(conn, world.ctx.policy, spec)
    assert checked.url == "https://hooks.example.com/"
    assert checked.events == ["order.created", "order.*"]
    assert checked.channels == ["eu"]


async def test_every_bad_field_is_named_in_one_error(world: World) -> None:
    spec = EndpointSpec(
        url="https://hooks.example.com/",
        events=["order.unknown", "bad..name", "inv*ce"],
        uid="ep_like_an_id",
        description="d" * 101,
        timeout=4,
        rate_limit=0,
        max_in_flight=1001,
        auth=EndpointAuth(AuthType.BASIC, {"username": "a:b", "extra": "x"}),
        headers={"Content-Type": "text/plain", "X-Ok": "line\nbreak", "bad name": "v"},
        signature=SignatureConfig(scheme="md5"),
        channels=["-no"],
    )
    assert set(await _problems(world, spec)) == {
        "body.events.0",
        "body.events.1",
        "body.events.2",
        "body.uid",
        "body.description",
        "body.timeout",
        "body.rate_limit",
        "body.max_in_flight",
        "body.auth.username",
        "body.auth.password",
        "body.auth.extra",
        "body.headers.Content-Type",
        "body.headers.X-Ok",
        "body.headers.bad name",
        "body.signature.scheme",
        "body.channels.0",
    }
    assert (await _problems(world, replace(spec, events=[]))).get("body.events") is not None


async def test_archived_types_and_patterns_matching_nothing_are_refused_to_new_subscribers(
    world: World,
) -> None:
    await world.event_type("invoice.paid")
    await world.event_type("invoice.void")
    await event_types.archive(world.ctx, ADMIN, "invoice.void")
    spec = EndpointSpec(url="https://h.example.com/", events=["invoice.void", "invoce.*"])
    problems = await _problems(world, spec)
    assert "archived" in problems["body.events.0"]
    assert "matches no event type" in problems["body.events.1"]
    # An endpoint that already had them keeps them.
    ep = await world.endpoint(await world.tenant(), events=["invoice.paid"])
    had = replace(ep, events=("invoice.void", "invoce.*"))
    async with world.ctx.db.read() as conn:
        kept = await validate_spec(conn, world.ctx.policy, spec, previous=had)
    assert kept.events == ["invoice.void", "invoce.*"]


async def test_headers_may_not_collide_with_those_hookline_sets(world: World) -> None:
    spec = EndpointSpec(
        url="https://h.example.com/",
        events=["*"],
        auth=EndpointAuth(AuthType.API_KEY, {"header": "X-Api-Key", "value": "v"}),
        signature=SignatureConfig(scheme="hmac-sha256-hex", header="x-api-key"),
        headers={"x-API-key": "mine", "Webhook-Id": "forged", "X-A": "1", "x-a": "2"},
        send_trace_context=True,
    )
    problems = await _problems(world, replace(spec, headers={**spec.headers, "traceparent": "t"}))
    assert "same header as the auth header" in problems["body.signature.header"]
    assert "Hookline sets this header itself" in problems["body.headers.x-API-key"]
    assert "reserved" in problems["body.headers.Webhook-Id"]
    assert "same header as X-A" in problems["body.headers.x-a"]
    assert "send_trace_context" in problems["body.headers.traceparent"]


async def test_http_and_private_addresses_follow_the_deployments_policy(world: World) -> None:
    strict = replace(
        world.ctx.policy,
        allow_http=False,
        allow_private_targets=False,
        resolver=StaticResolver("10.1.2.3"),
    )
    async with world.ctx.db.read() as conn:
        with pytest.raises(RefusedTarget) as caught:
            await validate_spec(
                conn, strict, EndpointSpec(url="http://h.example.com/", events=["*"])
            )
        assert caught.value.rule == "https-only"
        assert [e.location for e in caught.value.errors] == ["body.url"]
        loose = await validate_spec(
            conn, world.ctx.policy, EndpointSpec(url="http://h.example.com/", events=["*"])
        )
    assert loose.url == "http://h.example.com/"
    with pytest.raises(RefusedTarget) as caught:
        await check_destination(strict, "https://h.example.com/", previous=None)
    assert caught.value.rule == "private"
    # A URL the endpoint already has is not looked up again; the worker judges it.
    ep = await world.endpoint(await world.tenant(), url="https://h.example.com/")
    await check_destination(strict, ep.url, previous=ep)
    assert strict.resolver.asked == ["h.example.com"]  # type: ignore[attr-defined]
    await check_destination(world.ctx.policy, "https://h.example.com/", previous=None)
