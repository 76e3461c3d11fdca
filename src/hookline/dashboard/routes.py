"""The dashboard's routes. For now a landing page that points to the API and its docs."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse, RedirectResponse

from hookline import __version__

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hookline</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
color:#1b1b1b}}a{{color:#0b57d0}}code{{background:#f1f3f4;padding:0 .25rem}}</style></head>
<body><main><h1>Hookline {version}</h1>
<p>The delivery dashboard is not built yet. Everything it will show is available
through the API today:</p>
<ul><li><a href="/docs">Interactive API documentation</a></li>
<li><a href="/openapi.json">OpenAPI document</a></li>
<li><code>GET /v1/tenants/{{tenant}}/endpoints/{{endpoint}}/deliveries</code>:
the Deliveries tab</li></ul>
</main></body></html>"""


@router.get("/ui")
async def ui_home() -> HTMLResponse:
    return HTMLResponse(_PAGE.format(version=__version__))


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui")
