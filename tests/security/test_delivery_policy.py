"""The network policy at delivery: the worker connects only to addresses it checked in
the same resolution, judges IP literals itself, and never follows a redirect.

Receivers listen on 127.0.0.1, which the production policy refuses: a refusal shows as
a receiver that got nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from hookline.delivery.http_client import HttpSender, SendError

PUBLIC_V4 = "93.184.216.34"
REFUSED = "destination refused by network policy"


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


async def _refused_delivery(hl, tenant: str, message: dict) -> dict:
    final = await hl.wait_final(tenant, message["id"])
    (delivery,) = final["delivery_statuses"]
    assert delivery["status"] == "failed"
    assert delivery["failure_reason"] == REFUSED
    (attempt,) = await hl.attempts(tenant, delivery["id"])  # refused: never retried
    assert REFUSED in attempt["error_message"]
    assert attempt["response_code"] is None
    return attempt


async def test_a_name_that_moves_to_loopback_after_registration_is_refused(start, dns, receivers):
    hl = await start(allow_http=True, allow_private_targets=False, resolver=dns)
    rx = await receivers()
    await hl.event_type("invoice.paid")
    tenant = (await hl.tenant())["id"]
    dns.records["rebind.example"] = [PUBLIC_V4]
    dns.records["half.example"] = [PUBLIC_V4]
    port = _port(rx.url)
    await hl.endpoint(tenant, f"http://rebind.example:{port}/hook", ["invoice.paid"])
    await hl.endpoint(tenant, f"http://half.example:{port}/hook", ["invoice.paid"])

    # Registration saw a public address; now the names lead to the receiver's listener,
    # one wholly and one through a single answer among public ones.
    dns.records["rebind.example"] = ["127.0.0.1"]
    dns.records["half.example"] = [PUBLIC_V4, "127.0.0.1"]
    msg = await hl.publish(tenant, "invoice.paid", {"n": 1})
    final = await hl.wait_final(tenant, msg["id"])
    assert [d["status"] for d in final["delivery_statuses"]] == ["failed", "failed"]
    for delivery in final["delivery_statuses"]:
        assert delivery["failure_reason"] == REFUSED
        (attempt,) = await hl.attempts(tenant, delivery["id"])
        assert REFUSED in attempt["error_message"]
        assert "127.0.0.1" in attempt["error_message"]
    assert rx.requests == []
    assert dns.asked.count("rebind.example") >= 2  # at registration and at delivery


async def test_an_ip_literal_stored_in_development_is_refused_in_production(start, receivers):
    rx = await receivers()
    dev = await start(allow_http=True, allow_private_targets=True)
    await dev.event_type("invoice.paid")
    tenant = (await dev.tenant())["id"]
    port = _port(rx.url)
    await dev.endpoint(tenant, f"http://127.1:{port}/hook", ["invoice.paid"])
    await dev.stop()

    prod = await start(allow_http=True, allow_private_targets=False, admin_key=dev.admin_key)
    msg = await prod.publish(tenant, "invoice.paid", {"n": 1})
    attempt = await _refused_delivery(prod, tenant, msg)
    assert "(loopback)" in attempt["error_message"]
    assert rx.requests == []


@pytest.fixture
async def sender():
    sender = HttpSender(allow_private_targets=False)
    await sender.start()
    yield sender
    await sender.close()


async def test_the_sender_judges_every_spelling_of_a_literal_and_names(sender, receivers):
    rx = await receivers()
    port = _port(rx.url)
    # The receiver answers when the policy allows private targets...
    open_sender = HttpSender(allow_private_targets=True)
    await open_sender.start()
    try:
        resp = await open_sender.post(rx.url, body=b"{}", headers={}, timeout=5)
    finally:
        await open_sender.close()
    assert resp.status == 200
    assert len(rx.requests) == 1

    # ...and never when it does not.
    hosts = [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "0x7f000001",
        "[::ffff:7f00:1]",
        "[::ffff:127.0.0.1]",
        "[::1]",
        "localhost",  # through the system's resolver (/etc/hosts)
    ]
    for host in hosts:
        with pytest.raises(SendError) as caught:
            await sender.post(f"http://{host}:{port}/hook", body=b"{}", headers={}, timeout=5)
        assert caught.value.refused, (host, str(caught.value))
        assert REFUSED in str(caught.value)
    assert len(rx.requests) == 1


async def test_a_redirect_is_a_failed_attempt_and_is_not_followed(hookline, receivers):
    internal = await receivers()
    rx = await receivers(statuses=[302], headers={"Location": internal.url})
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    await hookline.endpoint(tenant, rx.url, ["invoice.paid"])
    msg = await hookline.publish(tenant, "invoice.paid", {"n": 1})

    final = await hookline.wait_final(tenant, msg["id"])
    (delivery,) = final["delivery_statuses"]
    assert delivery["status"] == "expired"
    attempts = await hookline.attempts(tenant, delivery["id"])
    assert len(attempts) == 3  # schedule "200ms,200ms": retried like any failure
    for attempt in attempts:
        assert attempt["status"] == "failed"
        assert attempt["response_code"] == 302
        assert "redirect not followed" in attempt["error_message"]
        assert internal.url in attempt["error_message"]
    assert len(rx.requests) == 3
    assert internal.requests == []
