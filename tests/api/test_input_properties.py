"""Property tests (hypothesis) of what a client may send: publish, endpoint and
event-type bodies, well-formed and not, against the real `hookline serve`. Whatever
comes in, the answer is never a 5xx, and every 4xx is problem+json.

Examples are few and fixed (derandomized) so the suite stays quick and repeatable;
`HOOKLINE_FUZZ_EXAMPLES=2000` runs as many, drawn at random, to hunt for more.
"""

from __future__ import annotations

import asyncio
import json
import os
import string
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from support.process import Proc, free_port, hookline_env, wait_ready

ADMIN = "input-properties-admin-key-0123456789"
_HUNT = int(os.environ.get("HOOKLINE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_HUNT or 100,
    derandomize=not _HUNT,
    deadline=None,
    database=None,  # nothing written into the worktree
    suppress_health_check=[HealthCheck.too_slow],
)
KNOWN_TYPES = ["order.placed", "order.shipped", "shaped.type"]
SHAPED_SCHEMA = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string", "maxLength": 8}, "n": {"type": "integer"}},
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """`hookline serve --dev` (SQLite), an event type or three and a tenant; a client
    with the admin key."""
    tmp = tmp_path_factory.mktemp("properties")
    port = free_port()
    env = hookline_env(
        f"sqlite:///{tmp}/hookline.db",
        HOOKLINE_ADMIN_KEY=ADMIN,
        HOOKLINE_API_RATE_LIMIT="0",
        HOOKLINE_MAX_ENDPOINTS_PER_TENANT="0",
        HOOKLINE_RETRY_SCHEDULE="1h",
    )
    proc = Proc(["serve", "--dev", "--port", str(port)], env, tmp / "serve.log", tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_ready(base, proc))
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30
        ) as client:
            for name in KNOWN_TYPES:
                schema = SHAPED_SCHEMA if name == "shaped.type" else None
                client.post("/v1/event-types", json={"name": name, "schema": schema})
            assert client.post("/v1/tenants", json={"name": "Acme", "uid": "acme"}).is_success
            yield client
    finally:
        code = proc.terminate()
    output = proc.output()
    assert code == 0, output
    assert "Traceback" not in output, output[-5000:]


def answered_well(resp: httpx.Response) -> None:
    assert resp.status_code < 500, f"{resp.request.method} {resp.request.url}: {resp.text}"
    if resp.status_code >= 400:
        assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
        assert resp.json()["status"] == resp.status_code


def send(client: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    """`body` as JSON (Python's encoder: huge integers and lone surrogates go through
    as such), or as it is when it is bytes."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    resp = client.request(
        method, path, content=content, headers={"content-type": "application/json"}
    )
    answered_well(resp)
    event(f"{method} {'/'.join(path.split('/')[2:5:2])} -> {resp.status_code}")
    return resp


# -- what is sent ----------------------------------------------------------------------

odd_text = st.sampled_from(["", " ", "\x00", "\ud800", "\u2028", "é", "☃" * 50, "a" * 300])
text = st.text(max_size=20) | odd_text
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)
names = st.sampled_from(KNOWN_TYPES) | st.from_regex(
    r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,12}", fullmatch=True
)
header_names = (
    st.sampled_from(
        ["X-Team", "x-sig", "X-SIG", "Authorization", "content-type", "Webhook-Id", "Host"]
    )
    | st.text(alphabet=string.ascii_letters + "-_!#", min_size=1, max_size=12)
    | text
)


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


publish_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "event_type": st.sampled_from(KNOWN_TYPES),
            "payload": json_values | st.fixed_dictionaries({"id": text}, optional={"n": scalars}),
        },
        optional={
            "id": st.text(min_size=1, max_size=300),
            "ordering_key": st.text(max_size=300),
            "channels": st.lists(st.text(max_size=10), max_size=12),
        },
    ),
    st.fixed_dictionaries(
        {"event_type": names | json_values, "payload": json_values},
        optional={
            "id": text | json_values,
            "ordering_key": text | json_values,
            "channels": st.lists(text, max_size=12) | json_values,
            "extra": json_values,
        },
    ),
    json_values,
    st.binary(max_size=64),
)

plain_text = st.text(alphabet=string.ascii_letters + string.digits + " -_.", max_size=12)
auth = st.one_of(
    st.just({"type": "none"}),
    st.builds(lambda t: {"type": "bearer", "token": t}, text),
    st.builds(lambda u, p: {"type": "basic", "username": u, "password": p}, text, text),
    st.builds(
        lambda kind, h, v: {"type": kind, "header": h, "value": v},
        st.sampled_from(["api_key", "custom_header"]),
        header_names,
        text,
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["none", "bearer", "basic", "api_key", "custom_header"]) | text},
        optional={
            "token": text,
            "username": text,
            "password": text,
            "header": header_names,
            "value": text,
        },
    ),
    json_values,
)
signature = st.one_of(
    st.fixed_dictionaries(
        {
            "scheme": st.sampled_from(
                ["standard-webhooks", "standard-webhooks-ed25519", "hmac-sha256-hex"]
            )
        },
        optional={"header": header_names, "prefix": text, "event_header": header_names},
    ),
    st.fixed_dictionaries(
        {},
        optional={"scheme": text, "header": text, "prefix": text, "event_header": text},
    ),
    json_values,
)
plausible = {
    "uid": plain_text,
    "description": plain_text,
    "enabled": st.booleans(),
    "timeout": st.integers(min_value=0, max_value=200),
    "rate_limit": st.none() | st.integers(min_value=-1, max_value=200_000),
    "max_in_flight": st.none() | st.integers(min_value=-1, max_value=2000),
    "ordering": st.sampled_from(["fifo", "unordered"]),
    "retry_schedule": st.sampled_from(["5s,5m", "1e999s", "0s", "-1s", "9" * 40 + "d", "5s,"]),
    "auth": auth,
    "headers": st.dictionaries(header_names, text, max_size=4),
    "signature": signature,
    "secret": st.sampled_from(["whsec_" + "A" * 44, "short", "x" * 200, "whsec_!!"]) | text,
    "generate_secret": st.booleans(),
    "channels": st.lists(plain_text, max_size=3),
}
wild = dict.fromkeys(plausible, json_values)
urls = (
    st.sampled_from(
        [
            "http://127.0.0.1:9/in",
            "https://hooks.example/in",
            "http://[::1]:9/in",
            "http://127.0.0.1:99999/in",
            "ftp://x/y",
            "http://user:pw@127.0.0.1/",
            "http://" + "a" * 300 + ".example/",
            "http://127.0.0.1:9/\x00",
        ]
    )
    | text
)
events = st.lists(names | st.just("*") | st.just("order.*") | text, min_size=1, max_size=3)
endpoint_bodies = st.one_of(
    st.fixed_dictionaries(
        {"url": st.just("http://127.0.0.1:9/in"), "events": st.just(["order.placed"])},
        optional=plausible,
    ),
    st.fixed_dictionaries({"url": urls, "events": events | json_values}, optional=plausible),
    st.fixed_dictionaries({"url": urls | json_values, "events": events}, optional=wild),
    json_values,
)
patch_bodies = optional(url=urls, events=events, **plausible) | optional(**wild)
schema_keywords = {
    "type": st.sampled_from(["object", "array", "string", "integer", "number", "null"]),
    "minLength": st.integers(min_value=0, max_value=5),
    "maximum": st.integers() | st.floats(allow_nan=False, allow_infinity=False),
    "multipleOf": st.floats(min_value=1e-3, max_value=10) | st.integers(1, 10),
    "pattern": st.sampled_from(["^a", "b+$", "[0-9]{2}"]),
    "required": st.lists(plain_text, max_size=3),
    "$ref": st.sampled_from(["#", "#/$defs/x", "#/nope", "https://x.example/s.json"]),
    "enum": st.lists(json_values, min_size=1, max_size=3),
}
junk_keywords = {
    "type": text | json_values,
    "pattern": st.sampled_from(["(", "\\p{L}", "[a-"]) | text,
    "$ref": text | json_values,
    "minLength": json_values,
}
schemas = st.recursive(
    st.fixed_dictionaries({}, optional=schema_keywords)
    | st.fixed_dictionaries({}, optional=junk_keywords),
    lambda inner: st.fixed_dictionaries(
        {},
        optional={
            "properties": st.dictionaries(plain_text, inner, max_size=3),
            "items": inner,
            "$defs": st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2),
            "anyOf": st.lists(inner, min_size=1, max_size=2),
            "not": inner,
        },
    ),
    max_leaves=8,
)
event_type_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "name": st.from_regex(r"fz\.[a-z0-9]{6}", fullmatch=True),
            "schema": st.one_of(
                st.fixed_dictionaries(
                    {"$ref": schema_keywords["$ref"]},
                    optional={k: v for k, v in schema_keywords.items() if k != "$ref"},
                ),
                st.fixed_dictionaries({}, optional=schema_keywords),
                schemas,
            ),
        },
        optional={"description": plain_text},
    ),
    st.fixed_dictionaries(
        {"name": names | json_values},
        optional={"description": text | json_values, "schema": schemas | json_values},
    ),
    json_values,
)


# -- the properties --------------------------------------------------------------------


@FUZZ
@given(body=publish_bodies)
def test_no_publish_body_is_a_server_error(api, body):
    send(api, "POST", "/v1/tenants/acme/messages", body)


@FUZZ
@given(body=endpoint_bodies, patch=patch_bodies, replacement=endpoint_bodies)
def test_no_endpoint_body_is_a_server_error(api, body, patch, replacement):
    created = send(api, "POST", "/v1/tenants/acme/endpoints", body)
    if created.status_code == 201:
        endpoint = created.json()["id"]
        send(api, "PATCH", f"/v1/tenants/acme/endpoints/{endpoint}", patch)
        answered_well(api.delete(f"/v1/tenants/acme/endpoints/{endpoint}"))
    send(api, "PUT", "/v1/tenants/acme/endpoints/fuzzed", replacement)


@FUZZ
@given(body=event_type_bodies, schema=schemas | json_values, payload=json_values)
def test_no_event_type_body_is_a_server_error(api, body, schema, payload):
    created = send(api, "POST", "/v1/event-types", body)
    if created.status_code == 201:
        # Whatever schema it took, a payload published against it is no server error...
        name = created.json()["name"]
        publish = {"event_type": name, "payload": payload}
        send(api, "POST", "/v1/tenants/acme/messages", publish)
        # ...nor after a change of schema.
        send(api, "PATCH", f"/v1/event-types/{name}", {"schema": schema})
        send(api, "POST", "/v1/tenants/acme/messages", publish)
        answered_well(api.delete(f"/v1/event-types/{name}"))
