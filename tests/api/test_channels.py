"""Channels on the native API (DESIGN §3): a message carries up to ten, an endpoint that
listens to channels receives only messages sharing one of them, one without receives all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson


async def _world(hookline, receivers):
    await hookline.event_type("invoice.paid")
    await hookline.event_type("contact.created")
    tid = (await hookline.tenant())["id"]
    rx = {name: await receivers() for name in ("all", "p1", "p2p3", "contacts_p1")}
    eps = {
        "all": await hookline.endpoint(tid, rx["all"].url, ["*"]),
        "p1": await hookline.endpoint(tid, rx["p1"].url, ["invoice.*"], channels=["p1"]),
        "p2p3": await hookline.endpoint(
            tid, rx["p2p3"].url, ["invoice.paid"], channels=["p2", "p3", "p2"]
        ),
        # Channels narrow events, never widen them: this one wants contacts only.
        "contacts_p1": await hookline.endpoint(
            tid, rx["contacts_p1"].url, ["contact.created"], channels=["p1"]
        ),
    }
    return tid, eps, rx


async def test_endpoints_with_channels_receive_only_messages_sharing_one(hookline, receivers):
    tid, eps, rx = await _world(hookline, receivers)
    assert eps["all"]["channels"] is None
    assert eps["p1"]["channels"] == ["p1"]
    assert eps["p2p3"]["channels"] == ["p2", "p3"]  # each once, in order

    cases = [
        (["p1"], {"all", "p1"}),
        (["p3", "elsewhere"], {"all", "p2p3"}),
        (["p1", "p2"], {"all", "p1", "p2p3"}),
        (None, {"all"}),  # no channel: only the endpoints that listen to none
        (["nobody"], {"all"}),
    ]
    by_id = {ep["id"]: name for name, ep in eps.items()}
    for channels, wanted in cases:
        body = {"event_type": "invoice.paid", "payload": {"c": channels}}
        if channels is not None:
            body["channels"] = channels
        msg = await hookline.call("POST", f"/v1/tenants/{tid}/messages", 202, json=body)
        assert msg["channels"] == channels
        assert msg["deliveries"] == len(wanted), (channels, msg)
        final = await hookline.wait_final(tid, msg["id"])
        got = {by_id[d["endpoint_id"]] for d in final["delivery_statuses"]}
        assert got == wanted, channels
        assert {d["status"] for d in final["delivery_statuses"]} == {"delivered"}
        assert final["channels"] == channels
    # What reached the receivers agrees with the deliveries.
    assert len(rx["all"].requests) == 5
    assert len(rx["p1"].requests) == 2
    assert len(rx["p2p3"].requests) == 2
    assert rx["contacts_p1"].requests == []
    contact = await hookline.publish(tid, "contact.created", {}, channels=["p1"])
    final = await hookline.wait_final(tid, contact["id"])
    assert {by_id[d["endpoint_id"]] for d in final["delivery_statuses"]} == {
        "all",
        "contacts_p1",
    }


async def test_the_publish_route_and_its_fast_path_fan_out_alike(hookline, receivers):
    tid, eps, _ = await _world(hookline, receivers)
    path = f"/v1/tenants/{tid}/messages"
    body = orjson.dumps({"event_type": "invoice.paid", "payload": {}, "channels": ["p2"]})

    async def chunked() -> AsyncIterator[bytes]:
        yield body

    headers = {"content-type": "application/json"}
    fast = await hookline.client.post(path, content=body, headers=headers)
    routed = await hookline.client.post(path, content=chunked(), headers=headers)
    assert (fast.status_code, routed.status_code) == (202, 202)
    for resp in (fast, routed):
        msg = await hookline.message(tid, resp.json()["id"])
        assert msg["channels"] == ["p2"]
        assert {d["endpoint_id"] for d in msg["delivery_statuses"]} == {
            eps["all"]["id"],
            eps["p2p3"]["id"],
        }


async def test_changing_an_endpoints_channels(hookline, receivers):
    tid, eps, _ = await _world(hookline, receivers)
    ep = eps["p1"]["id"]
    patched = await hookline.call(
        "PATCH", f"/v1/tenants/{tid}/endpoints/{ep}", 200, json={"channels": ["p9"]}
    )
    assert patched["channels"] == ["p9"]
    msg = await hookline.publish(tid, "invoice.paid", {}, channels=["p1"])
    assert ep not in {
        d["endpoint_id"] for d in (await hookline.message(tid, msg["id"]))["delivery_statuses"]
    }
    cleared = await hookline.call(
        "PATCH", f"/v1/tenants/{tid}/endpoints/{ep}", 200, json={"channels": None}
    )
    assert cleared["channels"] is None
    msg = await hookline.publish(tid, "invoice.paid", {})
    assert ep in {
        d["endpoint_id"] for d in (await hookline.message(tid, msg["id"]))["delivery_statuses"]
    }
    # An empty list is no channel either.
    emptied = await hookline.call(
        "PATCH", f"/v1/tenants/{tid}/endpoints/{ep}", 200, json={"channels": []}
    )
    assert emptied["channels"] is None


async def test_messages_are_listed_by_channel(hookline):
    await hookline.event_type("invoice.paid")
    tid = (await hookline.tenant())["id"]
    tagged = [
        await hookline.publish(tid, "invoice.paid", {"n": i}, channels=channels)
        for i, channels in enumerate([["a_1"], ["b"], ["a_1", "b"], None, ["ax1"]])
    ]
    page = await hookline.call("GET", f"/v1/tenants/{tid}/messages?channel=a_1", 200)
    assert [m["id"] for m in page["data"]] == [tagged[2]["id"], tagged[0]["id"]]
    page = await hookline.call("GET", f"/v1/tenants/{tid}/messages?channel=b", 200)
    assert [m["id"] for m in page["data"]] == [tagged[2]["id"], tagged[1]["id"]]
    # '_' is no wildcard: "a_1" does not match "ax1", nor a prefix a longer name.
    page = await hookline.call("GET", f"/v1/tenants/{tid}/messages?channel=a", 200)
    assert page["data"] == []
    page = await hookline.call("GET", f"/v1/tenants/{tid}/messages", 200)
    assert len(page["data"]) == 5


async def test_bad_channels_are_refused_and_change_nothing(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    tid = (await hookline.tenant())["id"]
    rx = await receivers()
    path = f"/v1/tenants/{tid}/messages"
    eleven = [f"c{i}" for i in range(11)]
    problem(
        await hookline.client.post(
            path, json={"event_type": "invoice.paid", "payload": {}, "channels": eleven}
        ),
        422,
        "body.channels",
    )
    problem(
        await hookline.client.post(
            path,
            json={"event_type": "invoice.paid", "payload": {}, "channels": ["ok", "no:colon"]},
        ),
        422,
        "body.channels.1",
    )
    assert (await hookline.call("GET", path, 200))["data"] == []
    endpoints = f"/v1/tenants/{tid}/endpoints"
    for channels, location in ((eleven, "body.channels"), (["-lead"], "body.channels.0")):
        problem(
            await hookline.client.post(
                endpoints, json={"url": rx.url, "events": ["*"], "channels": channels}
            ),
            422,
            location,
        )
    assert (await hookline.call("GET", endpoints, 200))["data"] == []
    ep = await hookline.endpoint(tid, rx.url, ["*"], channels=["ok"])
    problem(
        await hookline.client.patch(f"{endpoints}/{ep['id']}", json={"channels": ["bad name"]}),
        422,
        "body.channels.0",
    )
    assert (await hookline.call("GET", f"{endpoints}/{ep['id']}", 200))["channels"] == ["ok"]
