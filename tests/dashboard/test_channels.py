"""Channels in the dashboard: shown on messages and endpoints, set in the endpoint form,
and a channel filter on the message list."""

from __future__ import annotations

from dashboard.world import World, csrf_of


async def test_messages_show_their_channels_and_are_filtered_by_one(world: World, sign_in):
    hl, b = world.hl, world.tenant_b["id"]
    red = await hl.publish(b, "contact.created", {"n": "red"}, channels=["red_team"])
    both = await hl.publish(b, "contact.created", {"n": "both"}, channels=["red_team", "blue"])
    blue = await hl.publish(b, "contact.created", {"n": "blue"}, channels=["blue"])
    ui = await sign_in()

    everything = await ui.get(f"/ui/tenants/{b}/messages")
    assert everything.status_code == 200
    assert '<label for="m-channel">Channel</label>' in everything.text
    for m in (red, both, blue):
        assert m["id"] in everything.text
    assert '<code class="channel">red_team</code>' in everything.text

    filtered = await ui.get(f"/ui/tenants/{b}/messages", params={"channel": "red_team"})
    assert filtered.status_code == 200
    assert red["id"] in filtered.text
    assert both["id"] in filtered.text
    assert blue["id"] not in filtered.text
    assert 'value="red_team"' in filtered.text  # the filter shows what was asked
    none = await ui.get(f"/ui/tenants/{b}/messages", params={"channel": "nobody"})
    assert "No messages in this channel." in none.text

    detail = await ui.get(f"/ui/tenants/{b}/messages/{both['id']}")
    assert "Channels:" in detail.text
    assert f"/ui/tenants/{b}/messages?channel=blue" in detail.text


async def test_endpoint_channels_are_set_in_the_form_and_shown(world: World, sign_in):
    ui = await sign_in()
    b = world.tenant_b["id"]
    form = await ui.get(f"/ui/tenants/{b}/endpoints/new")
    assert '<label for="channels">' in form.text
    csrf = csrf_of(form.text)
    fields = {
        "csrf": csrf,
        "url": world.healthy.url + "/channels",
        "description": "Channelled",
        "events": ["contact.created"],
        "timeout": "15",
    }
    refused = await ui.post(
        f"/ui/tenants/{b}/endpoints", data={**fields, "channels": "fine, not fine"}
    )
    assert refused.status_code == 422
    assert 'aria-describedby="channels-error"' in refused.text
    assert 'value="fine, not fine"' in refused.text

    created = await ui.post(f"/ui/tenants/{b}/endpoints", data={**fields, "channels": "a, b"})
    assert created.status_code == 201, created.text
    listed = await world.hl.call("GET", f"/v1/tenants/{b}/endpoints", 200)
    new = next(e for e in listed["data"] if e["description"] == "Channelled")
    assert new["channels"] == ["a", "b"]

    overview = await ui.get(f"/ui/tenants/{b}/endpoints/{new['id']}")
    assert "<dt>Channels</dt>" in overview.text
    assert "<code>a</code><code>b</code>" in overview.text
    tenant_page = await ui.get(f"/ui/tenants/{b}")
    assert '<code class="channel">#a</code>' in tenant_page.text

    edit = await ui.get(f"/ui/tenants/{b}/endpoints/{new['id']}/edit")
    assert 'value="a, b"' in edit.text
    saved = await ui.post(
        f"/ui/tenants/{b}/endpoints/{new['id']}/edit", data={**fields, "channels": ""}
    )
    assert saved.status_code == 303
    changed = await world.hl.call("GET", f"/v1/tenants/{b}/endpoints/{new['id']}", 200)
    assert changed["channels"] is None
    overview = await ui.get(f"/ui/tenants/{b}/endpoints/{new['id']}")
    assert "any (every message)" in overview.text
