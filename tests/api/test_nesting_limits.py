"""Nothing a client nests is a 500: a payload deeper than a message can hold, an
event-type schema deeper than it can be checked, a body deeper than JSON is read —
each a 422 naming the limit, the same through the publish fast path and the route,
and nothing stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from hookline.api.strict_json import JSON_DEPTH_LIMIT
from hookline.domain.payload import MAX_PAYLOAD_DEPTH, nesting_depth
from hookline.domain.payload_schema import MAX_SCHEMA_DEPTH


def nested(depth: int) -> str:
    """A JSON array nested `depth` levels deep."""
    return "[" * depth + "1" + "]" * depth


def publish_body(event_type: str, payload: str) -> str:
    return '{"event_type": "' + event_type + '", "payload": ' + payload + "}"


def nested_schema(depth: int) -> str:
    """A JSON Schema `{"items": {"items": ...}}` nested `depth` levels deep."""
    return '{"items": ' * (depth - 1) + '{"type": "integer"}' + "}" * (depth - 1)


async def _chunked(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def both_ways(client: httpx.AsyncClient, path: str, body: str) -> list[httpx.Response]:
    """The publish with a declared length (the fast path) and chunked (the route)."""
    headers = {"content-type": "application/json"}
    return [
        await client.post(path, content=body.encode(), headers=headers),
        await client.post(path, content=_chunked(body.encode()), headers=headers),
    ]


def test_depth_counts_arrays_and_objects_without_recursion():
    assert nesting_depth(1, beyond=10) == 0
    assert nesting_depth({"a": [1, {"b": []}]}, beyond=10) == 4
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep, beyond=300) == 301  # stops counting past the bound


@pytest.fixture
async def tenant(hookline):  # type: ignore[no-untyped-def]
    await hookline.event_type("a.b")
    return (await hookline.tenant())["id"]


async def test_a_payload_as_deep_as_a_message_holds_is_published(hookline, tenant):
    path = f"/v1/tenants/{tenant}/messages"
    body = publish_body("a.b", nested(MAX_PAYLOAD_DEPTH))
    for resp in await both_ways(hookline.client, path, body):
        assert resp.status_code == 202, resp.text


@pytest.mark.parametrize("depth", [MAX_PAYLOAD_DEPTH + 1, 300, JSON_DEPTH_LIMIT - 1])
async def test_a_payload_deeper_than_a_message_holds_is_422(hookline, tenant, problem, depth):
    path = f"/v1/tenants/{tenant}/messages"
    body = publish_body("a.b", nested(depth))
    fast, route = await both_ways(hookline.client, path, body)
    for resp in (fast, route):
        found = problem(resp, 422, "body.payload")
        assert (
            found["detail"] == f"The payload is nested more than {MAX_PAYLOAD_DEPTH} levels deep."
        )
    assert fast.json() == route.json()
    assert (await hookline.call("GET", path, 200))["data"] == []


@pytest.mark.parametrize("depth", [JSON_DEPTH_LIMIT, 100_000])
async def test_a_body_deeper_than_json_is_read_is_422_naming_the_limit(
    hookline, tenant, problem, depth
):
    path = f"/v1/tenants/{tenant}/messages"
    body = publish_body("a.b", nested(depth))
    fast, route = await both_ways(hookline.client, path, body)
    for resp in (fast, route):
        found = problem(resp, 422)
        (error,) = found["errors"]
        assert f"nested more than {JSON_DEPTH_LIMIT} levels deep (the limit)" in error["message"]
    assert fast.json() == route.json()


async def test_a_schema_deeper_than_can_be_checked_is_422_naming_the_limit(hookline, problem):
    ok = '{"name": "ok.deep", "schema": ' + nested_schema(MAX_SCHEMA_DEPTH) + "}"
    resp = await hookline.client.post(
        "/v1/event-types", content=ok, headers={"content-type": "application/json"}
    )
    assert resp.status_code == 201, resp.text
    for depth in (MAX_SCHEMA_DEPTH + 1, 120, 400, 1000):
        body = '{"name": "too.deep", "schema": ' + nested_schema(depth) + "}"
        resp = await hookline.client.post(
            "/v1/event-types", content=body, headers={"content-type": "application/json"}
        )
        found = problem(resp, 422, "body.schema")
        assert found["errors"][0]["message"] == (
            f"nested more than {MAX_SCHEMA_DEPTH} levels deep (the limit)"
        )
        resp = await hookline.client.patch(
            "/v1/event-types/ok.deep",
            content='{"schema": ' + nested_schema(depth) + "}",
            headers={"content-type": "application/json"},
        )
        problem(resp, 422, "body.schema")
    names = [t["name"] for t in (await hookline.call("GET", "/v1/event-types", 200))["data"]]
    assert "too.deep" not in names


async def test_a_self_referring_schema_down_a_deep_payload_is_422(hookline, problem):
    # Within the schema limit, yet checking recurses as deep as the payload goes.
    schema = {"$defs": {"n": {"type": ["array", "integer"], "items": {"$ref": "#/$defs/n"}}},
              "$ref": "#/$defs/n"}  # fmt: skip
    await hookline.event_type("a.tree", schema=schema)
    tenant = (await hookline.tenant())["id"]
    path = f"/v1/tenants/{tenant}/messages"
    body = publish_body("a.tree", nested(MAX_PAYLOAD_DEPTH))
    fast, route = await both_ways(hookline.client, path, body)
    for resp in (fast, route):
        found = problem(resp, 422, "body.payload")
        assert "too deep to check against the event type's schema" in str(found["errors"])
    assert fast.json() == route.json()
    small = publish_body("a.tree", nested(5))
    for resp in await both_ways(hookline.client, path, small):
        assert resp.status_code == 202, resp.text
