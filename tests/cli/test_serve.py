"""`hookline serve` as a user runs it: a real process, stopped with SIGTERM."""

from __future__ import annotations

import re

import httpx

from support.process import Proc, free_port, hookline_env, run, wait_ready

ADMIN = "operator-chosen-admin-key-0123456789"  # any long string works


async def test_first_start_prints_the_admin_key_once(db_url, tmp_path):
    port = free_port()
    env = hookline_env(db_url)
    proc = Proc(["serve", "--dev", "--port", str(port)], env, tmp_path / "serve.log", tmp_path)
    try:
        await wait_ready(f"http://127.0.0.1:{port}", proc)
        out = proc.output()
        key = re.search(r"hl_admin_[A-Za-z0-9]+", out)
        assert key, out
        assert f"http://127.0.0.1:{port}/docs" in out
        assert "DEVELOPMENT MODE" in out
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            r = await c.get("/v1/tenants", headers={"Authorization": f"Bearer {key.group(0)}"})
            assert r.status_code == 200
    finally:
        assert proc.terminate() == 0
    # A second start finds the admin key and prints none.
    proc = Proc(["serve", "--port", str(port)], env, tmp_path / "serve2.log", tmp_path)
    try:
        await wait_ready(f"http://127.0.0.1:{port}", proc)
        assert "hl_admin_" not in proc.output()
        assert "DEVELOPMENT MODE" not in proc.output()
    finally:
        assert proc.terminate() == 0


async def test_sigterm_mid_queue_loses_nothing_across_a_restart(db_url, tmp_path, receivers):
    rx = await receivers(delay=0.05)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = hookline_env(db_url, HOOKLINE_ADMIN_KEY=ADMIN, HOOKLINE_SHUTDOWN_GRACE="3")
    proc = Proc(["serve", "--dev", "--port", str(port)], env, tmp_path / "serve.log", tmp_path)
    total = 150
    try:
        await wait_ready(base, proc)
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30
        ) as c:
            assert (
                await c.post("/v1/event-types", json={"name": "order.placed"})
            ).status_code == 201
            tenant = (await c.post("/v1/tenants", json={"name": "Acme"})).json()
            ep = await c.post(
                f"/v1/tenants/{tenant['id']}/endpoints",
                json={"url": rx.url, "events": ["order.placed"], "max_in_flight": 2},
            )
            assert ep.status_code == 201, ep.text
            accepted = []
            for i in range(total):
                r = await c.post(
                    f"/v1/tenants/{tenant['id']}/messages",
                    json={"event_type": "order.placed", "payload": {"i": i}},
                )
                assert r.status_code == 202, r.text
                accepted.append(r.json()["id"])
        await rx.wait_for(10)
    finally:
        code = proc.terminate()
    assert code == 0, proc.output()
    got_before = len(rx.requests)
    assert got_before < total, "the queue should not have drained before the stop"
    assert "released" in proc.output() or got_before >= total

    proc = Proc(["serve", "--dev", "--port", str(port)], env, tmp_path / "serve2.log", tmp_path)
    try:
        await wait_ready(base, proc)
        seen = await rx.wait_for_messages(set(accepted), timeout=60)
        assert seen == set(accepted)
        # Only attempts in flight at the stop may repeat.
        assert len(rx.requests) - total <= 2
    finally:
        assert proc.terminate() == 0


def test_keys_commands_create_list_and_revoke(db_url, tmp_path):
    env = hookline_env(db_url)
    assert run(["migrate"], env, tmp_path).returncode == 0
    created = run(["keys", "create", "--name", "deploy", "--role", "ci"], env, tmp_path)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("hl_ci_")
    listed = run(["keys", "list"], env, tmp_path)
    assert "deploy" in listed.stdout
    assert key not in listed.stdout
    key_id = re.search(r"key_[0-9A-Z]{26}", listed.stdout)
    assert key_id
    revoked = run(["keys", "revoke", key_id.group(0)], env, tmp_path)
    assert revoked.returncode == 0, revoked.stderr
