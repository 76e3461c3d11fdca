"""An endpoint: overview (health, charts, settings), its actions, and the create and
edit forms (its Deliveries tab is `endpoint_deliveries`).

Actions answer htmx with the fragment that shows their outcome in place; without
JavaScript the same POST answers with the whole page, outcome included.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from hookline.dashboard import charts
from hookline.dashboard.auth import FormDep, SessionDep
from hookline.dashboard.endpoint_form import FormValues, field_errors, parse_int
from hookline.dashboard.rendering import PageRoute, context_of, is_htmx, path, render
from hookline.domain.clock import utcnow
from hookline.domain.errors import Conflict, InvalidInput, RefusedTarget
from hookline.domain.models import Endpoint, EventType, Tenant
from hookline.domain.retry import format_schedule
from hookline.services import (
    endpoint_tests,
    endpoints,
    event_types,
    recovery,
    stats,
    tenants,
)
from hookline.services.access import Permission, require
from hookline.services.endpoint_change import EndpointChange
from hookline.services.sessions import Session

router = APIRouter(route_class=PageRoute, include_in_schema=False)

GRACE_CHOICES = (0, 3600, 86400)
NOTICES = {
    "saved": "Changes saved.",
    "enabled": "Endpoint enabled. Recover what failed while it was disabled below.",
    "disabled": "Endpoint disabled: new messages will wait as failed deliveries.",
}


def endpoint_base(tenant: Tenant, endpoint: Endpoint) -> str:
    return path("tenants", tenant.id, "endpoints", endpoint.id)


async def load_endpoint(
    request: Request, session: Session, tenant: str, endpoint: str
) -> tuple[Tenant, Endpoint]:
    ctx, who = context_of(request), session.principal
    owner = await tenants.get(ctx, who, tenant)
    found = await endpoints.get(ctx, who, tenant=owner.id, endpoint=endpoint)
    return owner, found


async def _overview(
    request: Request,
    session: Session,
    owner: Tenant,
    endpoint: Endpoint,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    ctx = context_of(request)
    figures = await stats.endpoint_stats(
        ctx, session.principal, tenant=owner.id, endpoint=endpoint.id
    )
    schedule = (
        format_schedule(endpoint.retry_schedule)
        if endpoint.retry_schedule is not None
        else f"{format_schedule(ctx.policy.retry.steps)} (the deployment's)"
    )
    values: dict[str, Any] = {
        "outcome": None,
        "rotated_secret": None,
        "rotated_note": None,
        "created_secret": None,
        "recovered": None,
        "since": None,
        "notice": None,
        **extra,
    }
    return render(
        request,
        "endpoint.html",
        session=session,
        status=status,
        tenant=owner,
        endpoint=endpoint,
        base=endpoint_base(owner, endpoint),
        stats=figures,
        charts={
            "attempts": charts.attempts_chart(figures),
            "rate": charts.success_rate_chart(figures),
            "latency": charts.latency_chart(figures),
        },
        retry_schedule=schedule,
        recover_default=utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1),
        **values,
    )


async def _result(
    request: Request,
    session: Session,
    owner: Tenant,
    endpoint: Endpoint,
    fragment: str,
    **values: Any,
) -> Response:
    """The fragment for htmx, the whole page with the outcome in place otherwise."""
    if is_htmx(request):
        return render(request, fragment, session=session, tenant=owner, endpoint=endpoint, **values)
    return await _overview(request, session, owner, endpoint, **values)


# -- overview and actions --------------------------------------------------------------


@router.get("/ui/tenants/{tenant}/endpoints/new")
async def new_form(tenant: str, request: Request, session: SessionDep) -> Response:
    require(session.principal, Permission.MANAGE_ENDPOINTS)
    owner = await tenants.get(context_of(request), session.principal, tenant)
    return await _form_page(request, session, owner, None, FormValues())


@router.get("/ui/tenants/{tenant}/endpoints/{endpoint}")
async def overview(
    tenant: str, endpoint: str, request: Request, session: SessionDep, notice: str | None = None
) -> Response:
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    return await _overview(request, session, owner, found, notice=NOTICES.get(notice or ""))


@router.post("/ui/tenants/{tenant}/endpoints/{endpoint}/test")
async def send_test(
    tenant: str, endpoint: str, request: Request, session: SessionDep, _: FormDep
) -> Response:
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    outcome = await endpoint_tests.send_test(
        context_of(request), session.principal, tenant=owner.id, endpoint=found.id, wait=True
    )
    return await _result(request, session, owner, found, "_test_result.html", outcome=outcome)


@router.post("/ui/tenants/{tenant}/endpoints/{endpoint}/rotate-secret")
async def rotate_secret(
    tenant: str, endpoint: str, request: Request, session: SessionDep, form: FormDep
) -> Response:
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    grace = parse_int(form.get("grace_period"), default=86400)
    if grace not in GRACE_CHOICES:
        raise InvalidInput("Choose how long the old secret keeps signing from the list.")
    rotated = await endpoints.rotate_secret(
        context_of(request),
        session.principal,
        tenant=owner.id,
        endpoint=found.id,
        grace_period=grace,
    )
    until = rotated.endpoint.updated_at + timedelta(seconds=grace)
    note = (
        f"The old secret keeps signing beside it until {_clock(until)}."
        if grace
        else "The old secret no longer signs."
    )
    return await _result(
        request,
        session,
        owner,
        rotated.endpoint,
        "_secret_result.html",
        secret=rotated.secret,
        secret_title="New secret",
        secret_note=note,
        rotated_secret=rotated.secret,
        rotated_note=note,
    )


@router.post("/ui/tenants/{tenant}/endpoints/{endpoint}/recover")
async def recover(
    tenant: str, endpoint: str, request: Request, session: SessionDep, form: FormDep
) -> Response:
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    since = parse_time(form.get("since"))
    if since is None:
        raise InvalidInput("Give the time to recover from, as YYYY-MM-DDTHH:MM (UTC).")
    count = await recovery.recover(
        context_of(request), session.principal, tenant=owner.id, endpoint=found.id, since=since
    )
    return await _result(
        request, session, owner, found, "_recover_result.html", recovered=count, since=since
    )


async def _set_enabled(
    request: Request, session: Session, tenant: str, endpoint: str, enabled: bool
) -> Response:
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    await endpoints.update(
        context_of(request),
        session.principal,
        tenant=owner.id,
        endpoint=found.id,
        change=EndpointChange(enabled=enabled),
    )
    notice = "enabled" if enabled else "disabled"
    return RedirectResponse(
        path("tenants", owner.id, "endpoints", found.id, notice=notice), status_code=303
    )


@router.post("/ui/tenants/{tenant}/endpoints/{endpoint}/enable")
async def enable(
    tenant: str, endpoint: str, request: Request, session: SessionDep, _: FormDep
) -> Response:
    return await _set_enabled(request, session, tenant, endpoint, True)


@router.post("/ui/tenants/{tenant}/endpoints/{endpoint}/disable")
async def disable(
    tenant: str, endpoint: str, request: Request, session: SessionDep, _: FormDep
) -> Response:
    return await _set_enabled(request, session, tenant, endpoint, False)


# -- the Deliveries tab ----------------------------------------------------------------


def parse_time(value: object) -> datetime | None:
    """A `datetime-local` value (or any ISO 8601 time), taken as UTC; None if blank or bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _clock(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# -- create and edit -------------------------------------------------------------------


async def _catalogue(request: Request, session: Session) -> list[EventType]:
    page = await event_types.list_(context_of(request), session.principal, limit=500)
    return page.items


async def _form_page(
    request: Request,
    session: Session,
    owner: Tenant,
    endpoint: Endpoint | None,
    values: FormValues,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    action = (
        path("tenants", owner.id, "endpoints", endpoint.id, "edit")
        if endpoint
        else path("tenants", owner.id, "endpoints")
    )
    cancel = endpoint_base(owner, endpoint) if endpoint else path("tenants", owner.id)
    return render(
        request,
        "endpoint_form.html",
        session=session,
        status=status,
        tenant=owner,
        endpoint=endpoint,
        values=values,
        catalogue=await _catalogue(request, session),
        errors=errors or {},
        action=action,
        cancel_url=cancel,
    )


@router.post("/ui/tenants/{tenant}/endpoints")
async def create(tenant: str, request: Request, session: SessionDep, form: FormDep) -> Response:
    ctx = context_of(request)
    owner = await tenants.get(ctx, session.principal, tenant)
    values = FormValues.posted(form)
    change, errors = values.change()
    if errors:
        return await _form_page(request, session, owner, None, values, errors=errors, status=422)
    try:
        created = await endpoints.create(
            ctx, session.principal, tenant=owner.id, spec=change.new_spec()
        )
    except (InvalidInput, RefusedTarget, Conflict) as exc:
        return await _form_page(
            request, session, owner, None, values, errors=field_errors(exc), status=422
        )
    # Shown here, once: the secret is never shown again.
    return await _overview(
        request, session, owner, created.endpoint, status=201, created_secret=created.secret
    )


@router.get("/ui/tenants/{tenant}/endpoints/{endpoint}/edit")
async def edit_form(tenant: str, endpoint: str, request: Request, session: SessionDep) -> Response:
    require(session.principal, Permission.MANAGE_ENDPOINTS)
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    values = FormValues.of(found, await _catalogue(request, session))
    return await _form_page(request, session, owner, found, values)


@router.post("/ui/tenants/{tenant}/endpoints/{endpoint}/edit")
async def edit(
    tenant: str, endpoint: str, request: Request, session: SessionDep, form: FormDep
) -> Response:
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    values = FormValues.posted(form)
    change, errors = values.change()
    if errors:
        return await _form_page(request, session, owner, found, values, errors=errors, status=422)
    try:
        await endpoints.update(
            context_of(request),
            session.principal,
            tenant=owner.id,
            endpoint=found.id,
            change=change,
        )
    except (InvalidInput, RefusedTarget, Conflict) as exc:
        return await _form_page(
            request, session, owner, found, values, errors=field_errors(exc), status=422
        )
    return RedirectResponse(
        path("tenants", owner.id, "endpoints", found.id, notice="saved"), status_code=303
    )
