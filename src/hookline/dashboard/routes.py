"""The dashboard at /ui: every page's router, and the static files (CSS, htmx).

`hookline.app` includes `router`; the pages live in `auth` (sign-in, sign-out, portal
links) and `pages/*` (one module per resource).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.responses import FileResponse, RedirectResponse

from hookline.dashboard import auth
from hookline.dashboard.pages import (
    deliveries,
    endpoint_deliveries,
    endpoints,
    event_types,
    messages,
    tenants,
)
from hookline.dashboard.rendering import STATIC_DIR

router = APIRouter(include_in_schema=False)
for module in (auth, tenants, endpoints, endpoint_deliveries, deliveries, messages, event_types):
    router.include_router(module.router)

# Only the files shipped in the package are served, by name: no paths from the request.
_STATIC = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file() and p.suffix in (".css", ".js")}
_MEDIA = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@router.get("/ui/static/{name}")
async def static_file(name: str) -> FileResponse:
    found = _STATIC.get(name)
    if found is None:
        raise HTTPException(status_code=404, detail="No such file.")
    # htmx's file name carries its version; the stylesheet's URL carries Hookline's.
    return FileResponse(
        found,
        media_type=_MEDIA[found.suffix],
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui")
