"""`hookline send` and `hookline endpoints list|test` as publishers run them: real
processes against a real Hookline and real receivers."""

from __future__ import annotations

import asyncio

import orjson

from support.process import hookline_env, run

ENV = hookline_env("sqlite:///unused-by-these-commands.db")


async def test_send_publishes_through_the_api(hookline, tmp_path):
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant(uid="acme"))["id"]
    args = ["send", "--tenant", "acme", "--type", "invoice.paid", "--data", '{"amount": 5}']
    flags = ["--url", hookline.url, "--key", hookline.admin_key]
    sent = await asyncio.to_thread(run, [*args, *flags], ENV, tmp_path)
    assert sent.returncode == 0, sent.stderr
    listed = await hookline.call("GET", f"/v1/tenants/{tenant}/messages", 200)
    (message,) = listed["data"]
    assert message["payload"] == {"amount": 5}
    assert message["id"] in sent.stdout

    # The URL and key may come from the environment; the payload from a file.
    (tmp_path / "payload.json").write_text('{"amount": 6}')
    env = {**ENV, "HOOKLINE_URL": hookline.url, "HOOKLINE_API_KEY": hookline.admin_key}
    args[-1] = "@payload.json"
    sent = await asyncio.to_thread(run, args, env, tmp_path)
    assert sent.returncode == 0, sent.stderr
    listed = await hookline.call("GET", f"/v1/tenants/{tenant}/messages", 200)
    assert sorted(m["payload"]["amount"] for m in listed["data"]) == [5, 6]

    failed = await asyncio.to_thread(
        run, ["send", "--tenant", "nope", "--type", "x"], env, tmp_path
    )
    assert failed.returncode == 1
    assert "404" in failed.stderr


async def test_endpoints_list_and_test(hookline, receivers, tmp_path):
    rx = await receivers()
    tenant = (await hookline.tenant(uid="acme"))["id"]
    ep = await hookline.endpoint(tenant, rx.url, ["*"], uid="crm")
    env = {**ENV, "HOOKLINE_URL": hookline.url, "HOOKLINE_API_KEY": hookline.admin_key}

    listed = await asyncio.to_thread(run, ["endpoints", "list", "--tenant", "acme"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert ep["id"] in listed.stdout
    assert rx.url in listed.stdout

    tested = await asyncio.to_thread(
        run, ["endpoints", "test", "--tenant", "acme", "crm"], env, tmp_path
    )
    assert tested.returncode == 0, tested.stderr
    assert "succeeded (HTTP 200" in tested.stdout
    (req,) = rx.requests
    assert orjson.loads(req.body)["type"] == "webhook.test"
