"""`hookline.client.methods`: one definition of each resource group serves `Client` and
`AsyncClient`. The groups keep the names, signatures and docstrings they had as hand-kept
twins; the async calls are coroutine functions and its lists async iterators; mypy sees
each method's answer in each mode; and the async client sends and retries as the sync one
does (httpx's MockTransport plays the server)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import hookline.client as package
from hookline.client import (
    AsyncClient,
    Client,
    HooklineConnectionError,
    RateLimitError,
    ServerError,
)
from hookline.client.methods import Group

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ["tenants", "event_types", "endpoints", "messages", "deliveries", "api_keys"]


def _public(group: Group[Any]) -> dict[str, Any]:
    return {n: getattr(group, n) for n in dir(group) if not n.startswith("_")}


def test_each_group_has_the_same_methods_in_both_clients():
    sync, aio = Client(), AsyncClient()
    for name in GROUPS:
        blocking, awaited = _public(getattr(sync, name)), _public(getattr(aio, name))
        assert blocking.keys() == awaited.keys(), name
        for method, call in blocking.items():
            twin = awaited[method]
            ours, theirs = inspect.signature(call), inspect.signature(twin)
            assert ours.parameters == theirs.parameters, f"{name}.{method}"
            assert call.__doc__ == twin.__doc__, f"{name}.{method}"
            returns = str(ours.return_annotation)
            if returns.startswith("Iterator["):  # a list: walked with `for` / `async for`
                assert theirs.return_annotation == f"Async{returns}", f"{name}.{method}"
                assert not inspect.iscoroutinefunction(twin), f"{name}.{method}"
            else:
                assert theirs.return_annotation == returns, f"{name}.{method}"
                assert inspect.iscoroutinefunction(twin), f"{name}.{method}"
                assert not inspect.iscoroutinefunction(call), f"{name}.{method}"


def test_the_groups_keep_their_public_names():
    sync, aio = Client(), AsyncClient()
    for name in GROUPS:
        blocking, awaited = type(getattr(sync, name)), type(getattr(aio, name))
        assert getattr(package, blocking.__name__) is blocking
        assert getattr(package, awaited.__name__) is awaited
        assert awaited.__name__ == f"Async{blocking.__name__}"
        method = getattr(aio, name).list
        assert method.__qualname__.startswith(f"{awaited.__name__}.")
        assert method.__module__ == "hookline.client.aio"


def test_a_method_keeps_its_signature_and_docstring():
    publish = Client().messages.publish
    assert str(inspect.signature(publish)) == (
        "(*, tenant: 'str', event_type: 'str', payload: 'Any', "
        "idempotency_key: 'str | None' = None, ordering_key: 'str | None' = None, "
        "channels: 'list[str] | None' = None) -> 'Message'"
    )
    assert (publish.__doc__ or "").startswith("Publish an event.")
    assert str(inspect.signature(AsyncClient().deliveries.attempts)) == (
        "(*, tenant: 'str', delivery: 'str', page_size: 'int' = 100) -> 'AsyncIterator[Attempt]'"
    )
    assert Client().endpoints.deliveries.__doc__ != Client().deliveries.list.__doc__


# -- what mypy sees ----------------------------------------------------------------------

TYPED = """
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, assert_type

from hookline.client import AsyncClient, Attempt, Client, Delivery, Endpoint, Tenant


def blocking(c: Client) -> None:
    assert_type(c.tenants.create(name="Acme", uid=None), Tenant)
    assert_type(c.tenants.list(page_size=2), Iterator[Tenant])
    assert_type(c.endpoints.update(tenant="t", endpoint="e", timeout=5), Endpoint)
    assert_type(c.deliveries.list(tenant="t", endpoint="e"), Iterator[Delivery])
    assert_type(c.endpoints.recover(tenant="t", endpoint="e", since=None), int)  # mistake
    c.tenants.delete("t")


async def awaited(c: AsyncClient) -> None:
    assert_type(await c.tenants.get("acme"), Tenant)
    assert_type(await c.endpoints.update(tenant="t", endpoint="e", timeout=5), Endpoint)
    assert_type(c.deliveries.attempts(tenant="t", delivery="d"), AsyncIterator[Attempt])
    await c.tenants.update("acme", name=1)  # mistake
    c.tenants.get("acme")  # mistake
"""


def test_mypy_sees_each_methods_arguments_and_answer_in_each_mode(tmp_path):
    """mypy --strict on code that uses both clients: the answers are what each mode
    returns, and the three mistakes in it (a None for a datetime, an int for a str, a
    coroutine not awaited) are found, each on its line."""
    (tmp_path / "typed.py").write_text(TYPED)
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "typed.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    mistakes = [str(n) for n, line in enumerate(TYPED.splitlines(), 1) if "# mistake" in line]
    assert [e.split(":")[1] for e in errors] == mistakes, checked.stdout
    assert '"since" has incompatible type "None"' in errors[0]
    assert '"name" has incompatible type "int"' in errors[1]
    assert "must be used" in errors[2]


# -- the async client sends and retries as the sync one does ---------------------------

MESSAGE = {
    "id": "msg_1",
    "tenant_id": "ten_1",
    "event_type": "x",
    "payload": {},
    "idempotency_key": "hlc_1",
    "ordering_key": None,
    "channels": None,
    "created_at": "2026-12-04T10:00:00Z",
    "deliveries": 1,
}
PROBLEM = {"type": "about:blank", "title": "Unavailable", "status": 503, "detail": "db"}


def _mock(answers: list[Any]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = answers[min(len(sent), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), sent


async def test_the_async_client_retries_a_publish_with_one_key():
    transport, sent = _mock(
        [
            httpx.ConnectError("refused"),
            httpx.Response(503, json=PROBLEM, headers={"Retry-After": "0"}),
            httpx.Response(202, json=MESSAGE),
        ]
    )
    async with AsyncClient(
        "http://hookline.test", "k", transport=transport, retry_backoff=0.001
    ) as c:
        msg = await c.messages.publish(tenant="t", event_type="x", payload={"n": 1})
    assert msg.id == "msg_1"
    assert len(sent) == 3
    assert len({r.headers["Idempotency-Key"] for r in sent}) == 1
    assert json.loads(sent[0].content) == {"event_type": "x", "payload": {"n": 1}}
    assert sent[0].headers["Authorization"] == "Bearer k"


async def test_the_async_client_gives_up_as_the_sync_one_does():
    transport, sent = _mock([httpx.Response(500, json={**PROBLEM, "status": 500})])
    async with AsyncClient("http://hookline.test", transport=transport, retry_backoff=0.001) as c:
        with pytest.raises(ServerError):
            await c.tenants.create(name="x")  # a POST that may have been done: not again
        assert len(sent) == 1
    transport, sent = _mock([httpx.ReadError("reset")])
    async with AsyncClient("http://hookline.test", transport=transport, retry_backoff=0.001) as c:
        with pytest.raises(HooklineConnectionError):
            await c.tenants.get("t")  # a read: sent again, three times
        assert len(sent) == 4
    transport, sent = _mock([httpx.Response(429, json={**PROBLEM, "status": 429})])
    async with AsyncClient(
        "http://hookline.test", transport=transport, max_retries=1, retry_backoff=0.001
    ) as c:
        with pytest.raises(RateLimitError):
            [t async for t in c.tenants.list()]
        assert len(sent) == 2
