"""`hookline listen | send | endpoints` as users run them: real processes, a real
Hookline, real receivers."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time

import httpx
import orjson
import standardwebhooks

from support.process import Proc, free_port, hookline_env, run

ENV = hookline_env("sqlite:///unused-by-these-commands.db")


async def _wait_for_port(port: int, proc: Proc, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise AssertionError(f"exited early:\n{proc.output()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"not listening within {timeout}s:\n{proc.output()}")


async def _wait_output(proc: Proc, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in proc.output():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not printed within {timeout}s:\n{proc.output()}")
        await asyncio.sleep(0.05)
    return proc.output()


async def test_listen_verifies_prints_and_forwards_a_real_delivery(hookline, receivers, tmp_path):
    target = await receivers(statuses=[202], body=b"accepted by the app")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    port = free_port()
    listener = Proc(
        ["listen", "--port", str(port), "--secret", secret, "--forward-to", target.url],
        ENV,
        tmp_path / "listen.log",
        tmp_path,
    )
    try:
        await _wait_for_port(port, listener)
        await hookline.event_type("invoice.paid")
        tenant = (await hookline.tenant())["id"]
        await hookline.endpoint(
            tenant, f"http://127.0.0.1:{port}/hooks", ["invoice.paid"], secret=secret
        )
        msg = await hookline.publish(tenant, "invoice.paid", {"amount": 1200})
        final = await hookline.wait_final(tenant, msg["id"])
        output = await _wait_output(listener, "forwarded")

        # The app behind the listener got the delivery unchanged, and it still verifies.
        (forwarded,) = target.requests
        (attempt,) = await hookline.attempts(tenant, final["delivery_statuses"][0]["id"])
        assert forwarded.body == attempt["request_body"].encode()
        assert forwarded.path == "/hook"
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type"):
            assert forwarded.headers[name] == attempt["request_headers"][name]
        standardwebhooks.Webhook(secret).verify(forwarded.body, forwarded.headers)
        # Hookline got the app's answer.
        assert attempt["response_code"] == 202
        assert attempt["response_body"] == "accepted by the app"

        assert "invoice.paid" in output
        assert msg["id"] in output
        assert "signature OK" in output
        assert '"amount": 1200' in output

        # A tampered request is flagged (and still forwarded: the app decides).
        headers = {k: v for k, v in forwarded.headers.items() if k.startswith("webhook-")}
        tampered = forwarded.body.replace(b"1200", b"9999")
        async with httpx.AsyncClient() as c:
            resp = await c.post(f"http://127.0.0.1:{port}/hooks", content=tampered, headers=headers)
        assert resp.status_code == 202
        output = await _wait_output(listener, "signature BAD")
        assert "no v1 signature matches" in output
        assert target.requests[-1].body == tampered
    finally:
        code = listener.terminate()
    assert code == 0, listener.output()


async def test_listen_without_a_forward_target_answers_200(tmp_path):
    port = free_port()
    listener = Proc(["listen", "--port", str(port)], ENV, tmp_path / "listen.log", tmp_path)
    try:
        await _wait_for_port(port, listener)
        body = orjson.dumps({"id": "msg_x", "type": "contact.created", "data": {}})
        async with httpx.AsyncClient() as c:
            resp = await c.post(f"http://127.0.0.1:{port}/", content=body)
        assert resp.status_code == 200
        output = await _wait_output(listener, "UNVERIFIED")
        assert "contact.created" in output
    finally:
        assert listener.terminate() == 0


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
