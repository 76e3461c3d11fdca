"""Every setting is a flag of the same name on `hookline serve`, `api` and `worker`
(README, Configuration), and a flag given wins over its variable."""

from __future__ import annotations

import json

import httpx
import pytest

from hookline.settings import Settings
from support.process import Proc, free_port, hookline_env, run, wait_ready

ADMIN = "operator-chosen-admin-key-0123456789"


@pytest.mark.parametrize("command", ["serve", "api", "worker"])
def test_every_setting_is_a_flag(tmp_path, command):
    env = hookline_env("sqlite:///unused.db", COLUMNS="250", NO_COLOR="1")
    shown = run([command, "--help"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    for name in Settings.model_fields:
        flag = "--" + name.replace("_", "-")
        assert f" {flag} " in shown.stdout, f"{command} has no {flag}"
        assert f"HOOKLINE_{name.upper()}" in shown.stdout, name


async def test_a_flag_wins_over_its_variable(tmp_path):
    port = free_port()
    env = hookline_env(
        f"sqlite:///{tmp_path / 'hookline.db'}",
        HOOKLINE_PORT="1",  # not a port this test may listen on: the flag must win
        HOOKLINE_MAX_PAYLOAD_BYTES="262144",
        HOOKLINE_LOG_FORMAT="xml",  # bad, but overridden: never judged
    )
    args = [
        "serve",
        "--port",
        str(port),
        "--max-payload-bytes",
        "64",
        "--log-format",
        "json",
        "--admin-key",
        ADMIN,
        "--allow-http",
        "--allow-private-targets",
    ]
    proc = Proc(args, env, tmp_path / "serve.log", tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, proc)
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10
        ) as c:
            assert (await c.post("/v1/event-types", json={"name": "x.y"})).status_code == 201
            tid = (await c.post("/v1/tenants", json={"name": "Acme"})).json()["id"]
            url = f"/v1/tenants/{tid}/messages"
            small = await c.post(url, json={"event_type": "x.y", "payload": {}})
            assert small.status_code == 202, small.text
            big = await c.post(url, json={"event_type": "x.y", "payload": {"pad": "x" * 80}})
            assert big.status_code == 413, big.text
            # --allow-http and --allow-private-targets, as their variables would
            ep = await c.post(
                f"/v1/tenants/{tid}/endpoints", json={"url": "http://127.0.0.1:9/", "events": ["*"]}
            )
            assert ep.status_code == 201, ep.text
    finally:
        assert proc.terminate() == 0
    logged = [line for line in proc.output().splitlines() if line.startswith("{")]
    assert logged, proc.output()
    assert all("message" in json.loads(line) for line in logged)  # --log-format json
