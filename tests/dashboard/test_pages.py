"""Every page reads without JavaScript, and every action works as a plain form post.

HTTP-level, on both databases: what a person without JavaScript (or a screen reader
following links) gets from the dashboard.
"""

from __future__ import annotations

import re

from dashboard.world import World, csrf_of


async def test_pages_read_without_javascript(world: World, sign_in) -> None:
    ui = await sign_in()
    a, b = world.tenant_a["id"], world.tenant_b["id"]
    ep = world.endpoint_a["id"]

    home = await ui.get("/ui")
    assert home.status_code == 303
    assert home.headers["location"] == "/ui/tenants"

    tenants = await ui.get("/ui/tenants")
    assert tenants.status_code == 200
    assert "Acme" in tenants.text
    assert "Globex" in tenants.text
    assert "<script" not in tenants.text.split("</head>")[1], "no inline scripts in pages"

    endpoints = await ui.get(f"/ui/tenants/{a}")
    assert endpoints.status_code == 200
    assert world.endpoint_a["url"] in endpoints.text
    assert world.endpoint_b["url"] not in endpoints.text
    assert "enabled" in endpoints.text
    assert "0 %" in endpoints.text  # success rate of an endpoint that always fails
    assert re.search(r'class="count-bad">6<', endpoints.text), "six failures in a row"

    overview = await ui.get(f"/ui/tenants/{a}/endpoints/{ep}")
    assert overview.status_code == 200
    assert overview.text.count("<svg") == 3
    assert "6 attempts in the last 24 hours: 0 succeeded and 6 failed" in overview.text
    assert "invoice.paid" in overview.text
    assert "Send test" in overview.text
    assert "Rotate secret" in overview.text

    tab = await ui.get(f"/ui/tenants/{a}/endpoints/{ep}/deliveries")
    assert tab.status_code == 200
    for delivery in world.deliveries_a:
        assert delivery in tab.text
    assert "badge-expired" in tab.text
    assert ">500<" in tab.text

    delivery = world.deliveries_a[0]
    detail = await ui.get(f"/ui/tenants/{a}/deliveries/{delivery}")
    assert detail.status_code == 200
    assert detail.text.count('class="card attempt attempt-failed"') == 3
    assert "Retry now" in detail.text
    assert "webhook-signature" in detail.text  # request headers, as sent
    assert "in_0" in detail.text or "in_1" in detail.text  # the request body
    assert "boom" in detail.text  # the response body
    assert "Response headers" in detail.text  # and the response's header fields
    assert "Content-Length: 17" in detail.text

    messages = await ui.get(f"/ui/tenants/{a}/messages")
    assert messages.status_code == 200
    assert messages.text.count("<code>invoice.paid</code>") == 2
    message_id = re.search(r"/messages/(msg_\w+)", messages.text)
    assert message_id
    message = await ui.get(f"/ui/tenants/{a}/messages/{message_id.group(1)}")
    assert message.status_code == 200
    assert world.endpoint_a["url"] in message.text

    catalogue = await ui.get("/ui/event-types")
    assert catalogue.status_code == 200
    assert "invoice.paid" in catalogue.text
    assert "&#34;invoice_id&#34;" in catalogue.text or '"invoice_id"' in catalogue.text
    assert "webhook.test" in catalogue.text

    other = await ui.get(f"/ui/tenants/{b}")
    assert world.endpoint_b["url"] in other.text
    assert "100 %" in other.text


async def test_pages_carry_protective_headers(world: World, sign_in) -> None:
    ui = await sign_in()
    page = await ui.get(f"/ui/tenants/{world.tenant_a['id']}")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"

    htmx = await ui.get("/ui/static/htmx-2.0.11.min.js")
    assert htmx.status_code == 200
    assert htmx.headers["content-type"].startswith("text/javascript")
    assert "htmx" in htmx.text[:200]
    css = await ui.get("/ui/static/hookline.css")
    assert css.status_code == 200
    assert (await ui.get("/ui/static/..%2Fauth.py")).status_code == 404
    assert (await ui.get("/ui/static/auth.py")).status_code == 404


async def test_deliveries_tab_filters_and_pages(world: World, sign_in) -> None:
    ui = await sign_in()
    b, ep = world.tenant_b["id"], world.endpoint_b["id"]
    base = f"/ui/tenants/{b}/endpoints/{ep}/deliveries"

    delivered = await ui.get(base, params={"status": "delivered"})
    assert all(d in delivered.text for d in world.deliveries_b)
    none_failed = await ui.get(base, params={"status": "failed"})
    assert not any(d in none_failed.text for d in world.deliveries_b)
    assert "No deliveries match these filters" in none_failed.text

    by_type = await ui.get(base, params={"event_type": "invoice.paid"})
    assert not any(d in by_type.text for d in world.deliveries_b)
    by_type = await ui.get(base, params={"event_type": "contact.created"})
    assert all(d in by_type.text for d in world.deliveries_b)

    future = await ui.get(base, params={"since": "2999-01-01T00:00"})
    assert not any(d in future.text for d in world.deliveries_b)
    past = await ui.get(base, params={"since": "2000-01-01T00:00", "until": "2999-01-01T00:00"})
    assert all(d in past.text for d in world.deliveries_b)

    bad = await ui.get(base, params={"since": "yesterday", "status": "lost"})
    assert bad.status_code == 422
    assert "not a time" in bad.text
    assert "not a delivery status" in bad.text

    # Paging: one message more than a page holds, newest first, the rest on page two.
    for n in range(50):
        await world.hl.publish(b, "contact.created", {"name": f"Bulk {n}"})
    first = await ui.get(base)
    assert first.text.count('class="badge badge-') >= 50
    next_link = re.search(r'href="([^"]*cursor=[^"]+)"', first.text)
    assert next_link, "a next-page link"
    second = await ui.get(next_link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert "First page" in second.text
    assert world.deliveries_b[0] in second.text  # the oldest delivery is on page two


async def test_actions_work_as_plain_form_posts(world: World, sign_in) -> None:
    ui = await sign_in()
    a, ep = world.tenant_a["id"], world.endpoint_a["id"]
    base = f"/ui/tenants/{a}/endpoints/{ep}"
    csrf = csrf_of((await ui.get(base)).text)

    # Send test, without JavaScript: the whole page comes back with the outcome in it.
    tested = await ui.post(f"{base}/test", data={"csrf": csrf})
    assert tested.status_code == 200
    assert "Test failed" in tested.text
    assert ">500<" in tested.text
    assert "<html" in tested.text

    # ... and with htmx, the fragment alone.
    fragment = await ui.post(f"{base}/test", data={"csrf": csrf}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "Test failed" in fragment.text
    assert "<html" not in fragment.text

    rotated = await ui.post(f"{base}/rotate-secret", data={"csrf": csrf, "grace_period": "3600"})
    assert rotated.status_code == 200
    secret = re.search(r">(whsec_[^<]+)</textarea>", rotated.text)
    assert secret, "the new secret is shown"
    assert "keeps signing beside it until" in rotated.text
    again = await ui.get(base)
    assert secret.group(1) not in again.text, "…and only once"

    disabled = await ui.post(f"{base}/disable", data={"csrf": csrf})
    assert disabled.status_code == 303
    page = await ui.get(disabled.headers["location"])
    assert "Endpoint disabled" in page.text
    assert "badge-disabled" in page.text
    refused = await ui.post(f"{base}/recover", data={"csrf": csrf, "since": "2000-01-01T00:00"})
    assert refused.status_code == 409
    assert "enable it before recovering" in refused.text

    enabled = await ui.post(f"{base}/enable", data={"csrf": csrf})
    assert enabled.status_code == 303
    world.failing.statuses = [200]
    recovered = await ui.post(f"{base}/recover", data={"csrf": csrf, "since": "2000-01-01T00:00"})
    assert recovered.status_code == 200
    assert re.search(r"\b([2-9]|\d\d+) deliveries sent again", recovered.text), recovered.text

    delivery = world.deliveries_a[0]
    retried = await ui.post(f"/ui/tenants/{a}/deliveries/{delivery}/retry", data={"csrf": csrf})
    assert retried.status_code == 303
    detail = await ui.get(retried.headers["location"])
    assert "Retry scheduled" in detail.text


async def test_endpoints_are_created_and_edited_with_forms(world: World, sign_in) -> None:
    ui = await sign_in()
    b = world.tenant_b["id"]
    form = await ui.get(f"/ui/tenants/{b}/endpoints/new")
    assert form.status_code == 200
    assert '<label for="url">' in form.text
    csrf = csrf_of(form.text)

    refused = await ui.post(
        f"/ui/tenants/{b}/endpoints",
        data={"csrf": csrf, "url": "ftp://nope", "timeout": "500", "patterns": ""},
    )
    assert refused.status_code in (400, 422)
    assert 'aria-invalid="true"' in refused.text
    assert 'value="500"' in refused.text, "a refused form comes back as typed"

    created = await ui.post(
        f"/ui/tenants/{b}/endpoints",
        data={
            "csrf": csrf,
            "url": world.healthy.url + "/second",
            "description": "Second",
            "events": ["invoice.paid"],
            "patterns": "contact.*",
            "timeout": "15",
            "rate_limit": "",
            "uid": "",
        },
    )
    assert created.status_code == 201, created.text
    assert "Endpoint created" in created.text
    assert re.search(r">whsec_[^<]+</textarea>", created.text)
    listed = await world.hl.call("GET", f"/v1/tenants/{b}/endpoints", 200)
    new = next(e for e in listed["data"] if e["description"] == "Second")
    assert new["events"] == ["invoice.paid", "contact.*"]
    assert new["timeout"] == 15

    edit = await ui.get(f"/ui/tenants/{b}/endpoints/{new['id']}/edit")
    assert 'value="contact.*"' in edit.text
    saved = await ui.post(
        f"/ui/tenants/{b}/endpoints/{new['id']}/edit",
        data={
            "csrf": csrf,
            "url": new["url"],
            "description": "Renamed",
            "events": ["contact.created"],
            "timeout": "20",
            "rate_limit": "5",
        },
    )
    assert saved.status_code == 303
    changed = await world.hl.call("GET", f"/v1/tenants/{b}/endpoints/{new['id']}", 200)
    assert changed["description"] == "Renamed"
    assert changed["events"] == ["contact.created"]
    assert changed["rate_limit"] == 5


async def test_a_runtime_key_reads_but_gets_no_buttons(world: World, sign_in) -> None:
    runtime = await world.key("runtime")
    ui = await sign_in(runtime["key"])
    a, ep = world.tenant_a["id"], world.endpoint_a["id"]
    page = await ui.get(f"/ui/tenants/{a}/endpoints/{ep}")
    assert page.status_code == 200
    assert "Send test" not in page.text
    assert "Rotate secret" not in page.text
    csrf = csrf_of(page.text)  # the sign-out form
    refused = await ui.post(f"/ui/tenants/{a}/endpoints/{ep}/test", data={"csrf": csrf})
    assert refused.status_code == 403
    assert (await ui.get(f"/ui/tenants/{a}/endpoints/new")).status_code == 403
