"""GET /docs: Swagger UI, served entirely by Hookline.

The page's script and stylesheet are swagger-ui-dist's own files, committed under
`static/swagger-ui/` (their version and checksums in its VERSION file), so the docs work
on a machine without internet, and the page's Content-Security-Policy lets it load and
call nothing but this server. "Authorize" offers the two ways to present a key that the
OpenAPI declares (`deps.py`: HTTP bearer and the `X-API-Key` header).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import FileResponse, HTMLResponse

SWAGGER_UI_VERSION = "5.35.0"
ASSETS = Path(__file__).parent / "static" / "swagger-ui"
ASSET_PATH = "/docs/assets/"
_MEDIA = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class _Page:
    html: str
    csp: str


@functools.cache
def _page(root: str) -> _Page:
    """The page under the application's root path (behind a proxy that adds a prefix)."""

    def asset(name: str) -> str:
        return f"{root}{ASSET_PATH}{name}?v={SWAGGER_UI_VERSION}"

    html = get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="Hookline API",
        swagger_js_url=asset("swagger-ui-bundle.js"),
        swagger_css_url=asset("swagger-ui.css"),
        swagger_favicon_url=asset("favicon-32x32.png"),
        # No badge from validator.swagger.io: the page talks to this server alone.
        swagger_ui_parameters={"validatorUrl": None},
    ).body
    text = bytes(html).decode()
    # The page's one inline script (its settings) is allowed by its hash, nothing else.
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<script>(.*?)</script>", text, flags=re.DOTALL)
    )
    csp = (
        f"default-src 'self'; script-src 'self' {hashes}; "
        # Swagger UI sets style attributes and draws its icons as data: images.
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"
    )
    return _Page(text, csp)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    page = _page(request.scope.get("root_path", "").rstrip("/"))
    return HTMLResponse(
        page.html,
        headers={"Content-Security-Policy": page.csp, "X-Content-Type-Options": "nosniff"},
    )


@router.get(ASSET_PATH + "{name}")
async def swagger_ui_asset(name: str) -> FileResponse:
    # Only the files named here are served: no path from the request reaches the disk.
    media = _MEDIA.get(name)
    if media is None:
        raise HTTPException(status_code=404, detail="No such file.")
    return FileResponse(
        ASSETS / name,
        media_type=media,
        # The URL carries the version: a new release is a new URL.
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
