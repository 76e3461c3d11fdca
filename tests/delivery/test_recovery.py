"""Recover: failed and expired deliveries of one endpoint, sent again on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


async def test_recover_resends_expired_deliveries_with_the_same_webhook_id(hookline, receivers):
    rx = await receivers(statuses=[500])
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    ep = await hookline.endpoint(tenant, rx.url, ["invoice.paid"])
    start = datetime.now(UTC) - timedelta(seconds=1)
    msgs = [await hookline.publish(tenant, "invoice.paid", {"i": i}) for i in range(3)]
    for m in msgs:
        final = await hookline.wait_final(tenant, m["id"])
        assert final["delivery_statuses"][0]["status"] == "expired"

    rx.statuses = [200]  # the receiver is fixed
    resp = await hookline.call(
        "POST",
        f"/v1/tenants/{tenant}/endpoints/{ep['id']}/recover",
        202,
        json={"since": _iso(start)},
    )
    assert resp == {"recovered": 3}
    for m in msgs:
        final = await hookline.wait_final(tenant, m["id"])
        (d,) = final["delivery_statuses"]
        assert d["status"] == "delivered"
        assert d["attempt_count"] == 4
    per_message = {}
    for r in rx.requests:
        per_message.setdefault(r.headers["webhook-id"], []).append(r)
    assert set(per_message) == {m["id"] for m in msgs}
    assert all(len(reqs) == 4 for reqs in per_message.values())
    # Recovering again finds nothing: delivered deliveries are not sent twice.
    again = await hookline.call(
        "POST",
        f"/v1/tenants/{tenant}/endpoints/{ep['id']}/recover",
        202,
        json={"since": _iso(start)},
    )
    assert again == {"recovered": 0}


async def test_messages_published_while_disabled_are_recovered_after_enabling(hookline, receivers):
    rx = await receivers()
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    ep = await hookline.endpoint(tenant, rx.url, ["invoice.paid"], enabled=False)
    start = datetime.now(UTC) - timedelta(seconds=1)
    msg = await hookline.publish(tenant, "invoice.paid", {"x": 1})
    final = await hookline.wait_final(tenant, msg["id"])
    (d,) = final["delivery_statuses"]
    assert d["status"] == "failed"
    assert d["failure_reason"] == "endpoint disabled"
    assert rx.requests == []

    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}"
    refused = await hookline.client.post(f"{path}/recover", json={"since": _iso(start)})
    assert refused.status_code == 409
    await hookline.call("PATCH", path, 200, json={"enabled": True})
    await hookline.call("POST", f"{path}/recover", 202, json={"since": _iso(start)})
    final = await hookline.wait_final(tenant, msg["id"])
    assert final["delivery_statuses"][0]["status"] == "delivered"
    assert [r.headers["webhook-id"] for r in rx.requests] == [msg["id"]]


async def test_recover_needs_a_window(hookline, receivers):
    rx = await receivers()
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    ep = await hookline.endpoint(tenant, rx.url, ["invoice.paid"])
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}/recover"
    assert (await hookline.client.post(path, json={})).status_code == 422
    now = datetime.now(UTC)
    bad = await hookline.client.post(
        path, json={"since": _iso(now), "until": _iso(now - timedelta(hours=1))}
    )
    assert bad.status_code == 422


async def test_the_recover_command_requeues_with_a_progress_bar(
    hookline, receivers, db_url, tmp_path
):
    from support.process import hookline_env, run

    rx = await receivers(statuses=[500])
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant(uid="acme"))["id"]
    await hookline.endpoint(tenant, rx.url, ["invoice.paid"], uid="billing")
    start = datetime.now(UTC) - timedelta(seconds=1)
    msgs = [await hookline.publish(tenant, "invoice.paid", {"i": i}) for i in range(4)]
    for m in msgs:
        await hookline.wait_final(tenant, m["id"])
    rx.statuses = [200]
    done = run(
        [
            "recover",
            "--tenant",
            "acme",
            "--endpoint",
            "billing",
            "--since",
            start.strftime("%Y-%m-%dT%H:%M:%S"),
        ],
        hookline_env(db_url),
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "4 deliveries queued again" in done.stderr
    for m in msgs:
        final = await hookline.wait_final(tenant, m["id"])
        assert final["delivery_statuses"][0]["status"] == "delivered"
    refused = run(
        ["recover", "--tenant", "acme", "--endpoint", "nope", "--since", "2026-01-01"],
        hookline_env(db_url),
        tmp_path,
    )
    assert refused.returncode == 1
    assert "No endpoint" in refused.stderr
