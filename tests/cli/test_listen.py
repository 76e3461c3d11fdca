"""`hookline listen` as developers run it: a real process, a real Hookline, real receivers."""

from __future__ import annotations

import base64
import secrets

import httpx
import orjson
import standardwebhooks

from support.process import Proc, free_port, hookline_env, wait_for_port, wait_output

ENV = hookline_env("sqlite:///unused-by-these-commands.db")


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
        await wait_for_port(port, listener)
        await hookline.event_type("invoice.paid")
        tenant = (await hookline.tenant())["id"]
        await hookline.endpoint(
            tenant, f"http://127.0.0.1:{port}/hooks", ["invoice.paid"], secret=secret
        )
        msg = await hookline.publish(tenant, "invoice.paid", {"amount": 1200})
        final = await hookline.wait_final(tenant, msg["id"])
        output = await wait_output(listener, "forwarded")

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
        output = await wait_output(listener, "signature BAD")
        assert "no v1 signature matches" in output
        assert target.requests[-1].body == tampered
    finally:
        code = listener.terminate()
    assert code == 0, listener.output()


async def test_listen_without_a_forward_target_answers_200(tmp_path):
    port = free_port()
    listener = Proc(["listen", "--port", str(port)], ENV, tmp_path / "listen.log", tmp_path)
    try:
        await wait_for_port(port, listener)
        body = orjson.dumps({"id": "msg_x", "type": "contact.created", "data": {}})
        async with httpx.AsyncClient() as c:
            resp = await c.post(f"http://127.0.0.1:{port}/", content=body)
        assert resp.status_code == 200
        output = await wait_output(listener, "UNVERIFIED")
        assert "contact.created" in output
    finally:
        assert listener.terminate() == 0
