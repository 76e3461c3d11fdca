"""The dashboard in a real browser: the machine's Chromium, driven by Playwright.

SQLite only (the HTTP-level tests beside this one cover both databases); the async
Playwright API, because the server under test runs in this test's event loop.
Screenshots of the main pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from dashboard.world import World
from hookline.domain.ids import new_id
from hookline.domain.models import Attempt, AttemptStatus
from hookline.store import attempts as attempt_store
from support.databases import sqlite_url

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 860}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite alone: the browser adds nothing that depends on the database."""
    return sqlite_url(tmp_path)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def _page(browser: Browser, **options: Any) -> tuple[Page, list[str]]:
    """A page in a fresh context, and the console errors it logs (CSP refusals among them)."""
    context = await browser.new_context(viewport=VIEWPORT, **options)
    page = await context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # Pages answered 4xx on purpose (403, 422) are logged too; they are not faults.
        if msg.type == "error" and "responded with a status of 4" not in msg.text:
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


async def _shot(page: Page, shots: Path, name: str) -> None:
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


async def _sign_in(page: Page, world: World) -> None:
    await page.goto(f"{world.hl.url}/ui")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("API key").fill(world.hl.admin_key)
    await page.get_by_role("button", name="Sign in").click()


async def test_support_staff_follow_a_failing_endpoint(
    world: World, browser: Browser, screenshots: Path
) -> None:
    page, errors = await _page(browser)
    await page.goto(f"{world.hl.url}/ui")
    await _shot(page, screenshots, "01-sign-in")
    await _sign_in(page, world)

    # Tenants → Acme → its endpoint.
    await expect(page.get_by_role("heading", name="Tenants")).to_be_visible()
    await _shot(page, screenshots, "02-tenants")
    await page.get_by_role("link", name="Acme").click()
    await expect(page.get_by_role("heading", name="Acme")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=world.endpoint_a["url"])
    await expect(row).to_contain_text("enabled")
    await expect(row).to_contain_text("0 %")
    await _shot(page, screenshots, "03-tenant-endpoints")
    await page.get_by_role("link", name=world.endpoint_a["url"]).click()
    await expect(page.get_by_role("heading", name="Last 24 hours")).to_be_visible()
    await expect(page.locator("svg.chart")).to_have_count(3)
    await _shot(page, screenshots, "04-endpoint")

    # The Deliveries tab: failing deliveries, answered 500.
    await page.get_by_role("link", name="Deliveries", exact=True).click()
    table = page.get_by_role("table")
    await expect(table.get_by_text("expired")).to_have_count(2)
    await expect(table.get_by_text("500", exact=True)).to_have_count(2)
    await page.get_by_label("Status").select_option("expired")
    await page.get_by_role("button", name="Apply").click()
    await expect(page).to_have_url(re.compile(r"status=expired"))
    await expect(table.get_by_role("link")).to_have_count(2)
    await _shot(page, screenshots, "05-deliveries")

    # Send test: the outcome appears in place (htmx), the page stays where it is.
    await page.get_by_role("link", name="Overview").click()
    overview_url = page.url
    await page.get_by_role("button", name="Send test").click()
    result = page.locator("#test-result")
    await expect(result).to_contain_text("Test failed", timeout=15_000)
    await expect(result).to_contain_text("500")
    assert page.url == overview_url
    await _shot(page, screenshots, "06-send-test")

    # A delivery and its attempts; Retry adds one more.
    await page.get_by_role("link", name="Deliveries", exact=True).click()
    await page.get_by_role("link", name=world.deliveries_a[0]).click()
    await expect(page.get_by_role("heading", name=re.compile(r"^Attempt \d"))).to_have_count(3)
    first = page.locator(".attempt").first
    await expect(first).to_contain_text("webhook-signature")
    await expect(first).to_contain_text("boom")
    await _shot(page, screenshots, "07-delivery")
    await page.get_by_role("button", name="Retry now").click()
    await expect(page.get_by_role("status")).to_contain_text("Retry scheduled")
    await _shot(page, screenshots, "08-delivery-retried")
    for _ in range(50):
        await page.reload()
        if await page.get_by_role("heading", name=re.compile(r"^Attempt 4")).count():
            break
        await page.wait_for_timeout(100)
    await expect(page.get_by_role("heading", name=re.compile(r"^Attempt 4"))).to_be_visible()

    await page.get_by_role("link", name="Event types").click()
    await expect(page.get_by_role("heading", name="invoice.paid")).to_be_visible()
    await page.get_by_text("Payload schema").first.click()
    await expect(page.get_by_text('"invoice_id"').first).to_be_visible()
    await _shot(page, screenshots, "09-event-types")

    await page.goto(f"{world.hl.url}/ui/tenants/{world.tenant_a['id']}/messages")
    await expect(page.get_by_role("row")).to_have_count(4)  # header, two messages, one test
    await _shot(page, screenshots, "10-messages")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert errors == [], errors


async def _seed_history(world: World) -> None:
    """A day of attempts for Globex's endpoint, so its charts have something to show."""
    delivery = world.deliveries_b[0]
    found = await world.hl.call(
        "GET", f"/v1/tenants/{world.tenant_b['id']}/deliveries/{delivery}", 200
    )
    now = datetime.now(UTC)
    rows = []
    for hour in range(1, 24):
        at = now - timedelta(hours=hour)
        for n in range(4 + (hour * 7) % 11):
            ok = (n + hour) % 9 != 0 or hour in (5, 6)
            rows.append(
                Attempt(
                    id=new_id("att"),
                    delivery_id=delivery,
                    endpoint_id=world.endpoint_b["id"],
                    message_id=found["message_id"],
                    tenant_id=world.tenant_b["id"],
                    event_type="contact.created",
                    attempt_number=n + 1,
                    url=world.endpoint_b["url"],
                    started_at=at,
                    duration_ms=40 + (n * 37 + hour * 13) % 180 + (400 if n == 0 else 0),
                    response_code=200 if ok else 503,
                    response_body=None,
                    error_message=None if ok else "HTTP 503",
                    status=AttemptStatus.SUCCEEDED if ok else AttemptStatus.FAILED,
                    request_headers={},
                )
            )
    async with world.hl.runtime.db.write() as conn:
        await attempt_store.insert_attempts(conn, rows)


async def test_a_portal_link_shows_its_tenant_alone(
    world: World, browser: Browser, screenshots: Path
) -> None:
    await _seed_history(world)
    link = (await world.portal_link(world.tenant_b["id"]))["url"]
    page, errors = await _page(browser)
    # Arrive from another site, as from the vendor's settings page: the SameSite=Strict
    # cookie must still reach the dashboard.
    await page.set_content(f'<a href="{link}">Manage your webhooks</a>')
    await page.get_by_role("link", name="Manage your webhooks").click()
    await expect(page.get_by_role("heading", name="Globex")).to_be_visible()
    await expect(page.get_by_text(world.endpoint_b["url"])).to_be_visible()
    await expect(page.get_by_text(world.endpoint_a["url"])).to_have_count(0)
    await expect(page.get_by_text("Acme")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Tenants")).to_have_count(0)
    await expect(page.get_by_text("Tenant portal")).to_be_visible()
    await _shot(page, screenshots, "11-portal")

    await page.get_by_role("link", name=world.endpoint_b["url"]).click()
    await page.get_by_role("button", name="Send test").click()
    await expect(page.locator("#test-result")).to_contain_text("Test succeeded")
    await page.get_by_role("button", name="Rotate secret").click()
    await expect(page.locator("#secret-result textarea")).to_have_value(re.compile(r"^whsec_"))
    await _shot(page, screenshots, "12-portal-endpoint")

    # A tenant registers an endpoint of its own; the secret is shown once.
    await page.get_by_role("link", name="Globex").click()
    await page.get_by_role("link", name="New endpoint").click()
    await page.get_by_label("URL").fill("http://127.0.0.1:9/nothing-listens")
    await page.get_by_label("Timeout (seconds, 5–120)").fill("10")
    await page.get_by_role("button", name="Create endpoint").click()  # no events chosen
    await expect(page.locator(".field-error")).to_contain_text("at least one event type")
    await _shot(page, screenshots, "13-new-endpoint-refused")
    await page.get_by_label("invoice.paid").check()
    await page.get_by_role("button", name="Create endpoint").click()
    await expect(page.get_by_text("Endpoint created")).to_be_visible()
    await expect(page.locator("#new-secret")).to_have_value(re.compile(r"^whsec_"))

    # Another tenant's pages stay shut, whatever the URL.
    a = world.tenant_a["id"]
    resp = await page.goto(f"{world.hl.url}/ui/tenants/{a}")
    assert resp is not None
    assert resp.status == 403
    await expect(page.get_by_text(world.endpoint_a["url"])).to_have_count(0)
    resp = await page.goto(f"{world.hl.url}/ui/tenants/{a}/endpoints/{world.endpoint_a['id']}")
    assert resp is not None
    assert resp.status == 403
    await _shot(page, screenshots, "14-portal-other-tenant")
    assert errors == [], errors

    # A tampered link, in a browser with no session: refused.
    page, _ = await _page(browser)
    body, _, mac = link.rpartition("/")[2].partition(".")
    tampered = f"{world.hl.url}/ui/portal/{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{mac}"
    resp = await page.goto(tampered)
    assert resp is not None
    assert resp.status == 403
    await expect(page.get_by_text("This portal link is not valid.")).to_be_visible()
    await _shot(page, screenshots, "15-portal-link-refused")
    resp = await page.goto(f"{world.hl.url}/ui/tenants/{world.tenant_b['id']}")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_pages_read_and_forms_post_without_javascript(
    world: World, browser: Browser, screenshots: Path
) -> None:
    page, errors = await _page(browser, java_script_enabled=False)
    await _sign_in(page, world)
    await page.get_by_role("link", name="Acme").click()
    await page.get_by_role("link", name=world.endpoint_a["url"]).click()
    await page.get_by_role("button", name="Send test").click()  # a plain form post
    await expect(page.locator("#test-result")).to_contain_text("Test failed")
    await page.get_by_role("link", name="Deliveries", exact=True).click()
    await expect(page.get_by_role("table").get_by_text("expired").first).to_be_visible()
    # Keyboard: the skip link comes first, then the main navigation.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Hookline")).to_be_focused()
    await page.keyboard.press("Tab")
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Tenants")).to_be_focused()
    await _shot(page, screenshots, "16-no-javascript")
    assert errors == [], errors
