"""Svix's quickstart, run by Svix's own Python SDK (`svix` from PyPI) against Hookline
with nothing changed but the server URL; on both databases.

Event type, application, endpoint (event types and channels), its secret, a message
with an `eventId` (again: 409), the delivered request verified with Svix's
`Webhook`, attempts by endpoint, resend, rotate, app-portal access (its URL opens the
tenant's portal), recover, paging through 120 messages, delete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from svix.api import (
    ApplicationIn,
    AppPortalAccessIn,
    EndpointIn,
    EndpointSecretRotateIn,
    EventTypeIn,
    MessageAttemptListByEndpointOptions,
    MessageIn,
    MessageListOptions,
    RecoverIn,
)
from svix.exceptions import HttpError
from svix.models import MessageStatus
from svix.webhooks import Webhook, WebhookVerificationError

from api.svix.conftest import eventually


def _headers(received) -> dict[str, str]:
    return {k: v for k, v in received.headers.items() if k.startswith("webhook-")}


async def test_the_quickstart(hookline, sdk, receivers):
    svix = sdk()
    rx = await receivers()
    other_channel = await receivers()

    # An event type, an application (get-or-create finds it again), an endpoint.
    created_type = await svix.event_type.create(
        EventTypeIn(name="user.signup", description="A user signed up")
    )
    assert (created_type.name, created_type.archived) == ("user.signup", False)
    await svix.event_type.create(EventTypeIn(name="invoice.paid", description="Paid"))
    app = await svix.application.create(ApplicationIn(name="Acme", uid="acme"))
    assert app.uid == "acme"
    assert (await svix.application.get_or_create(ApplicationIn(name="Acme", uid="acme"))).id == (
        app.id
    )
    ep = await svix.endpoint.create(
        app.id, EndpointIn(url=rx.url, event_types=["user.signup"], channels=["project_1"])
    )
    assert (ep.event_types, ep.channels, ep.disabled) == (["user.signup"], ["project_1"], False)
    # Channels narrow who receives: this one listens to another channel.
    elsewhere = await svix.endpoint.create(
        "acme", EndpointIn(url=other_channel.url, channels=["project_2"])
    )
    assert elsewhere.event_types is None  # null: every event type

    secret = (await svix.endpoint.get_secret(app.id, ep.id)).key
    assert secret.startswith("whsec_")

    # A message with an eventId; the same eventId again is refused.
    msg = await svix.message.create(
        app.id,
        MessageIn(
            event_type="user.signup",
            payload={"username": "ada"},
            event_id="signup-ada",
            channels=["project_1"],
        ),
    )
    assert (msg.event_id, msg.channels) == ("signup-ada", ["project_1"])
    with pytest.raises(HttpError) as repeated:
        await svix.message.create(
            app.id, MessageIn(event_type="user.signup", payload={}, event_id="signup-ada")
        )
    assert repeated.value.status_code == 409
    assert repeated.value.code == "conflict"
    assert (await svix.message.get(app.id, "signup-ada")).id == msg.id  # by eventId too

    # What the endpoint got, verified the way a Svix customer verifies it.
    (got,) = await rx.wait_for(1)
    Webhook(secret).verify(got.body, _headers(got))
    assert got.headers["webhook-id"] == msg.id
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(got.body, _headers(got))
    assert other_channel.requests == []

    # Attempts by endpoint; resend makes one more, with the same webhook-id.
    async def attempts():
        page = await svix.message_attempt.list_by_endpoint(app.id, ep.id)
        return page if page.data else None

    page = await eventually(attempts)
    (attempt,) = page.data
    assert (attempt.msg_id, attempt.status, attempt.response_status_code) == (
        msg.id,
        MessageStatus.SUCCESS,
        200,
    )
    await svix.message_attempt.resend(app.id, msg.id, ep.id)
    await rx.wait_for(2)
    assert rx.requests[1].headers["webhook-id"] == msg.id

    async def two_attempts():
        page = await svix.message_attempt.list_by_endpoint(app.id, ep.id)
        return page if len(page.data) == 2 else None

    assert (await eventually(two_attempts)).data[0].id != attempt.id  # newest first

    # Rotate: a new secret signs; the old one still does during its grace.
    await svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    rotated = (await svix.endpoint.get_secret(app.id, ep.id)).key
    assert rotated != secret
    await svix.message.create(
        app.id, MessageIn(event_type="user.signup", payload={"n": 2}, channels=["project_1"])
    )
    third = (await rx.wait_for(3))[2]
    Webhook(rotated).verify(third.body, _headers(third))
    Webhook(secret).verify(third.body, _headers(third))

    # App-portal access: its URL opens this tenant's portal in the dashboard.
    access = await svix.authentication.app_portal_access(app.id, AppPortalAccessIn())
    assert access.token and access.token in access.url
    async with httpx.AsyncClient(base_url=hookline.url, timeout=30) as browser:
        landing = await browser.get(urlsplit(access.url).path)
        assert landing.status_code == 200
        assert f"url=/ui/tenants/{app.id}" in landing.text
        portal = await browser.get(f"/ui/tenants/{app.id}")
        assert portal.status_code == 200
        assert "Tenant portal" in portal.text
        assert rx.url in portal.text

    # Paging through 120 messages with the iterator: each one seen once.
    sent = {msg.id}
    for n in range(119):
        m = await svix.message.create(
            app.id, MessageIn(event_type="invoice.paid", payload={"n": n})
        )
        sent.add(m.id)
    sent.add(third.headers["webhook-id"])
    seen: list[str] = []
    iterator = None
    for _ in range(10):
        page = await svix.message.list(app.id, MessageListOptions(limit=50, iterator=iterator))
        seen += [m.id for m in page.data]
        if page.done:
            break
        iterator = page.iterator
    assert len(seen) == len(set(seen)) == 121
    assert set(seen) == sent
    assert seen == sorted(seen, reverse=True)  # newest first, as Svix lists them

    # Delete: the endpoint, then the application.
    await svix.endpoint.delete(app.id, elsewhere.id)
    with pytest.raises(HttpError) as gone:
        await svix.endpoint.get(app.id, elsewhere.id)
    assert (gone.value.status_code, gone.value.code) == (404, "not_found")
    await svix.application.delete(app.id)
    with pytest.raises(HttpError) as gone:
        await svix.application.get(app.id)
    assert gone.value.status_code == 404


async def test_recover_sends_failed_messages_again(hookline, sdk, receivers):
    svix = sdk()
    # Three attempts fail (the harness's schedule: 200 ms, 200 ms), then 200.
    rx = await receivers(statuses=[500, 500, 500, 200])
    await svix.event_type.create(EventTypeIn(name="user.signup", description=""))
    app = await svix.application.create(ApplicationIn(name="Acme"))
    ep = await svix.endpoint.create(app.id, EndpointIn(url=rx.url))
    msg = await svix.message.create(app.id, MessageIn(event_type="user.signup", payload={}))

    async def failed():
        page = await svix.message_attempt.list_attempted_messages(app.id, ep.id)
        return page.data and page.data[0].status == MessageStatus.FAIL

    await eventually(failed)
    await rx.wait_for(3)
    out = await svix.endpoint.recover(
        app.id, ep.id, RecoverIn(since=datetime.now(UTC) - timedelta(hours=1))
    )
    assert (out.status, out.task) == ("finished", "endpoint.recover")
    await rx.wait_for(4)
    assert {r.headers["webhook-id"] for r in rx.requests} == {msg.id}

    async def succeeded():
        page = await svix.message_attempt.list_by_endpoint(
            app.id, ep.id, MessageAttemptListByEndpointOptions(status=MessageStatus.SUCCESS)
        )
        return page.data

    (success,) = await eventually(succeeded)
    assert success.response_status_code == 200
    failures = await svix.message_attempt.list_by_endpoint(
        app.id, ep.id, MessageAttemptListByEndpointOptions(status=MessageStatus.FAIL)
    )
    assert [a.response_status_code for a in failures.data] == [500, 500, 500]
