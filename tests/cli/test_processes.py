"""`hookline api` and `hookline worker` as separate processes, on either database."""

from __future__ import annotations

import json

import httpx

from support.process import Proc, free_port, hookline_env, run, wait_ready

ADMIN = "operator-chosen-admin-key-0123456789"


async def test_a_backlog_published_through_api_alone_is_drained_by_a_worker_alone(
    db_url, tmp_path, receivers
):
    rx = await receivers()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = hookline_env(db_url, HOOKLINE_ADMIN_KEY=ADMIN, HOOKLINE_LOG_FORMAT="json")
    assert run(["migrate"], env, tmp_path).returncode == 0
    api = Proc(["api", "--dev", "--port", str(port)], env, tmp_path / "api.log", tmp_path)
    try:
        await wait_ready(base, api)
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30
        ) as c:
            assert (await c.post("/v1/event-types", json={"name": "a.b"})).status_code == 201
            tenant = (await c.post("/v1/tenants", json={"name": "T"})).json()["id"]
            r = await c.post(
                f"/v1/tenants/{tenant}/endpoints", json={"url": rx.url, "events": ["a.b"]}
            )
            assert r.status_code == 201, r.text
            ids = set()
            for i in range(200):
                r = await c.post(
                    f"/v1/tenants/{tenant}/messages",
                    json={"event_type": "a.b", "payload": {"i": i}},
                )
                ids.add(r.json()["id"])
            metrics = (await c.get("/metrics")).text
        assert "hookline_queue_pending 200.0" in metrics
        assert rx.requests == []  # no worker yet: nothing is sent

        worker = Proc(["worker", "--dev"], env, tmp_path / "worker.log", tmp_path)
        try:
            await rx.wait_for_messages(ids, timeout=60)
        finally:
            assert worker.terminate() == 0
        # JSON logs: every line the worker wrote is one JSON object.
        lines = [ln for ln in worker.output().splitlines() if ln.startswith("{")]
        assert lines, worker.output()
        for line in lines:
            assert {"time", "level", "logger", "message"} <= set(json.loads(line))
    finally:
        assert api.terminate() == 0
