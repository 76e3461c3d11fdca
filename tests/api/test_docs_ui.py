"""/docs in a real browser (the machine's Chromium, driven by Playwright) with every
request that is not to Hookline itself refused: the page lists the operations, Authorize
takes a key, and "Try it out" is answered 200.

SQLite only: the page does not depend on the database.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, ConsoleMessage, Request, Route, async_playwright, expect

from support.databases import sqlite_url

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
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


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


async def test_docs_work_offline_authorize_and_try_it_out(hookline, browser: Browser):
    await hookline.tenant("Acme", uid="acme")
    own = _origin(hookline.url)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(15_000)
    refused: list[str] = []
    errors: list[str] = []
    api_calls: list[Request] = []

    async def only_hookline(route: Route) -> None:
        if _origin(route.request.url) == own or route.request.url.startswith("data:"):
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    await page.route("**/*", only_hookline)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: api_calls.append(r) if "/v1/" in r.url else None)

    await page.goto(f"{hookline.url}/docs")
    await expect(page.locator(".opblock").first).to_be_visible()
    assert await page.locator(".opblock").count() >= 30, "every operation is listed"
    publish = page.locator('.opblock-post [data-path="/v1/tenants/{tenant}/messages"]')
    await expect(publish).to_be_visible()
    # Operations that need a key show a lock; health checks do not.
    tenants_get = page.locator(".opblock-get").filter(has=page.locator('[data-path="/v1/tenants"]'))
    await expect(tenants_get.locator(".authorization__btn")).to_be_visible()

    await page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_text("X-API-Key", exact=True)).to_be_visible()  # both schemes
    bearer = dialog.locator(".auth-container").filter(has_text="bearer")
    await bearer.locator("input").fill(hookline.admin_key)
    await bearer.get_by_role("button", name="Apply credentials").click()
    await expect(bearer.get_by_role("heading", name="Authorized")).to_be_visible()
    await bearer.get_by_role("button", name="Close").click()

    await tenants_get.locator(".opblock-summary").click()
    await tenants_get.get_by_role("button", name="Try it out").click()
    await tenants_get.get_by_role("button", name="Execute").click()
    status = tenants_get.locator(".live-responses-table tr.response .response-col_status")
    await expect(status).to_have_text("200")
    await expect(tenants_get.locator(".live-responses-table")).to_contain_text("acme")

    (call,) = [r for r in api_calls if urlsplit(r.url).path == "/v1/tenants"]
    assert call.headers.get("authorization") == f"Bearer {hookline.admin_key}"
    assert refused == [], "the page asked for something outside Hookline"
    assert errors == [], errors  # a Content-Security-Policy refusal would show here
    await context.close()


async def test_the_page_and_its_files_are_hookline_s_own(hookline):
    async with hookline.as_key(None) as anonymous:
        page = await anonymous.get("/docs")
        assert page.status_code == 200
        assert "cdn." not in page.text
        assert "https://" not in page.text
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "connect-src 'self'" in csp
        for name, media in (
            ("swagger-ui-bundle.js", "text/javascript"),
            ("swagger-ui.css", "text/css"),
            ("favicon-32x32.png", "image/png"),
        ):
            resp = await anonymous.get(f"/docs/assets/{name}")
            assert resp.status_code == 200, name
            assert resp.headers["content-type"].startswith(media)
            assert f"/docs/assets/{name}?v=" in page.text
        for missing in ("VERSION", "LICENSE", "..%2Fdocs_ui.py", "swagger-ui.js"):
            assert (await anonymous.get(f"/docs/assets/{missing}")).status_code == 404
        document = (await anonymous.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <key>` with a Hookline API key",
    }
    assert schemes["apiKey"]["in"] == "header"
    assert schemes["apiKey"]["name"] == "X-API-Key"
    either = [{"bearer": []}, {"apiKey": []}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path in ("/healthz", "/readyz", "/metrics"):
                assert "security" not in operation, (method, path)
            else:
                assert operation.get("security") == either, (method, path)
