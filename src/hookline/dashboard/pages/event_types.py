"""The event-type catalogue with each type's payload schema."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hookline.dashboard.auth import SessionDep
from hookline.dashboard.rendering import PageRoute, context_of, path, render
from hookline.services import event_types

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/ui/event-types")
async def catalogue(request: Request, session: SessionDep, cursor: str | None = None) -> Response:
    page = await event_types.list_(
        context_of(request), session.principal, include_archived=True, limit=100, cursor=cursor
    )
    next_url = path("event-types", cursor=page.next_cursor) if page.next_cursor else None
    return render(request, "event_types.html", session=session, page=page, next_url=next_url)
