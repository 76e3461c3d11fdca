"""The tenant list (operators), the form that creates a tenant (admins), and a
tenant's endpoints with their health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from hookline.dashboard.auth import FormDep, SessionDep, home_of
from hookline.dashboard.rendering import PageRoute, context_of, path, render
from hookline.domain.errors import Conflict, InvalidInput
from hookline.services import endpoints, stats, tenants
from hookline.services.access import Permission, require, require_operator
from hookline.services.sessions import Session

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/ui/tenants")
async def tenant_list(request: Request, session: SessionDep, cursor: str | None = None) -> Response:
    if session.principal.tenant_id is not None:
        return RedirectResponse(home_of(session), status_code=303)
    page = await tenants.list_(
        context_of(request), session.principal, limit=PAGE_SIZE, cursor=cursor
    )
    next_url = path("tenants", cursor=page.next_cursor) if page.next_cursor else None
    return render(request, "tenants.html", session=session, page=page, next_url=next_url)


def _tenant_form(
    request: Request,
    session: Session,
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
) -> Response:
    return render(
        request,
        "tenant_form.html",
        session=session,
        status=422 if errors else 200,
        values=values,
        errors=errors or {},
    )


@router.get("/ui/tenants/new")
async def new_tenant_form(request: Request, session: SessionDep) -> Response:
    require(session.principal, Permission.ADMIN)
    require_operator(session.principal)
    return _tenant_form(request, session, {"name": "", "uid": ""})


@router.post("/ui/tenants")
async def create_tenant(request: Request, session: SessionDep, form: FormDep) -> Response:
    values = {k: v.strip() if isinstance(v := form.get(k), str) else "" for k in ("name", "uid")}
    try:
        created = await tenants.create(
            context_of(request), session.principal, name=values["name"], uid=values["uid"] or None
        )
    except (InvalidInput, Conflict) as exc:  # shown beside the fields, as typed
        errors: dict[str, list[str]] = {}
        for err in exc.errors:
            errors.setdefault(err.location.removeprefix("body."), []).append(err.message)
        if not exc.errors:
            errors["uid" if isinstance(exc, Conflict) else "_"] = [exc.detail]
        return _tenant_form(request, session, values, errors)
    return RedirectResponse(path("tenants", created.id), status_code=303)


@router.get("/ui/tenants/{tenant}")
async def tenant_endpoints(
    tenant: str, request: Request, session: SessionDep, cursor: str | None = None
) -> Response:
    ctx, who = context_of(request), session.principal
    owner = await tenants.get(ctx, who, tenant)
    page = await endpoints.list_(ctx, who, tenant=owner.id, limit=PAGE_SIZE, cursor=cursor)
    rates = await stats.success_rates(
        ctx, who, tenant=owner.id, endpoint_ids=[e.id for e in page.items]
    )
    next_url = path("tenants", owner.id, cursor=page.next_cursor) if page.next_cursor else None
    return render(
        request,
        "tenant.html",
        session=session,
        tenant=owner,
        page=page,
        rates=rates,
        next_url=next_url,
    )
