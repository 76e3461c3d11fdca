"""/v1/tenants/{tenant}/endpoints: register, read, change, replace, delete, rotate, test."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from fastapi import APIRouter, Query, Response, status

from hookline.api.deps import (
    ContextDep,
    Cursor,
    EndpointManager,
    Limit,
    Offset,
    Operator,
    Reader,
)
from hookline.api.schemas.common import ListResponse
from hookline.api.schemas.deliveries import AttemptOut
from hookline.api.schemas.endpoints import (
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    RotateIn,
    RotateOut,
    TestIn,
    TestOut,
)
from hookline.api.strict_json import StrictJsonRoute
from hookline.domain.errors import FieldError, InvalidInput, ValidationReport
from hookline.domain.models import AuthType, EndpointAuth, SignatureConfig
from hookline.domain.retry import parse_schedule
from hookline.services import endpoint_tests
from hookline.services import endpoints as service
from hookline.services.endpoint_change import UNSET, EndpointChange, Unset, not_null
from hookline.services.endpoint_rules import EndpointSpec

T = TypeVar("T")

router = APIRouter(
    prefix="/v1/tenants/{tenant}/endpoints", route_class=StrictJsonRoute, tags=["endpoints"]
)


def _schedule(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return parse_schedule(text)
    except ValueError as exc:
        raise InvalidInput(
            str(exc), errors=[FieldError("body.retry_schedule", str(exc), text)]
        ) from exc


def _spec(body: EndpointIn) -> EndpointSpec:
    return EndpointSpec(
        url=body.url,
        events=body.events,
        uid=body.uid,
        description=body.description,
        enabled=body.enabled,
        timeout=body.timeout,
        rate_limit=body.rate_limit,
        max_in_flight=body.max_in_flight,
        ordering=body.ordering,
        retry_schedule=_schedule(body.retry_schedule),
        auth=body.auth.to_domain() if body.auth else EndpointAuth(AuthType.NONE),
        headers=body.headers,
        signature=body.signature.to_domain() if body.signature else SignatureConfig(),
        secret=body.secret,
        generate_secret=body.generate_secret,
        send_trace_context=body.send_trace_context,
        channels=body.channels,
    )


def _change(body: EndpointPatch) -> EndpointChange:
    """The PATCH as a change: a field not sent stays, null clears what may be cleared."""
    sent = body.model_fields_set
    report = ValidationReport()

    def given(name: str, value: T) -> T | Unset:
        return value if name in sent else UNSET

    def required(name: str, value: T | None) -> T | Unset:
        return not_null(report, f"body.{name}", value) if name in sent else UNSET

    events, headers, channels = body.events, body.headers, body.channels
    change = EndpointChange(
        url=required("url", body.url),
        events=required("events", None if events is None else tuple(events)),
        uid=given("uid", body.uid),
        description=required("description", body.description),
        enabled=required("enabled", body.enabled),
        timeout=required("timeout", body.timeout),
        rate_limit=given("rate_limit", body.rate_limit),
        max_in_flight=given("max_in_flight", body.max_in_flight),
        ordering=required("ordering", body.ordering),
        auth=given("auth", body.auth.to_domain() if body.auth else None),
        headers=required("headers", None if headers is None else dict(headers)),
        signature=given("signature", body.signature.to_domain() if body.signature else None),
        send_trace_context=required("send_trace_context", body.send_trace_context),
        channels=given("channels", None if channels is None else tuple(channels)),
    )
    report.raise_if_any()
    if "retry_schedule" in sent:
        change = replace(change, retry_schedule=_schedule(body.retry_schedule))
    return change


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EndpointCreated)
async def create_endpoint(
    tenant: str, body: EndpointIn, ctx: ContextDep, who: EndpointManager
) -> EndpointCreated:
    created = await service.create(ctx, who, tenant=tenant, spec=_spec(body))
    return EndpointCreated(**EndpointOut.of(created.endpoint).model_dump(), secret=created.secret)


@router.get("", response_model=ListResponse[EndpointOut])
async def list_endpoints(
    tenant: str,
    ctx: ContextDep,
    who: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
) -> ListResponse[EndpointOut]:
    page = await service.list_(ctx, who, tenant=tenant, limit=limit, cursor=cursor, offset=offset)
    return ListResponse(data=[EndpointOut.of(e) for e in page.items], next_cursor=page.next_cursor)


@router.get("/{endpoint}", response_model=EndpointOut)
async def get_endpoint(tenant: str, endpoint: str, ctx: ContextDep, who: Reader) -> EndpointOut:
    return EndpointOut.of(await service.get(ctx, who, tenant=tenant, endpoint=endpoint))


@router.patch("/{endpoint}", response_model=EndpointOut)
async def update_endpoint(
    tenant: str,
    endpoint: str,
    body: EndpointPatch,
    ctx: ContextDep,
    who: EndpointManager,
) -> EndpointOut:
    updated = await service.update(ctx, who, tenant=tenant, endpoint=endpoint, change=_change(body))
    return EndpointOut.of(updated)


@router.put(
    "/{uid}",
    response_model=EndpointCreated,
    responses={201: {"model": EndpointCreated, "description": "Created"}},
    summary="Create or replace the endpoint with this uid",
)
async def put_endpoint(
    tenant: str,
    uid: str,
    body: EndpointIn,
    ctx: ContextDep,
    who: EndpointManager,
    response: Response,
) -> EndpointCreated:
    if body.uid is not None and body.uid != uid:
        raise InvalidInput(
            "The uid in the body differs from the one in the path.",
            errors=[FieldError("body.uid", "must match the path", body.uid)],
        )
    result, created = await service.put(ctx, who, tenant=tenant, uid=uid, spec=_spec(body))
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return EndpointCreated(**EndpointOut.of(result.endpoint).model_dump(), secret=result.secret)


@router.delete("/{endpoint}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_endpoint(
    tenant: str, endpoint: str, ctx: ContextDep, who: EndpointManager
) -> Response:
    await service.delete(ctx, who, tenant=tenant, endpoint=endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint}/rotate-secret", response_model=RotateOut)
async def rotate_secret(
    tenant: str,
    endpoint: str,
    ctx: ContextDep,
    who: Operator,
    body: RotateIn | None = None,
) -> RotateOut:
    body = body or RotateIn()
    rotated = await service.rotate_secret(
        ctx,
        who,
        tenant=tenant,
        endpoint=endpoint,
        secret=body.secret,
        grace_period=body.grace_period,
    )
    assert rotated.secret is not None
    from datetime import timedelta

    expires = (
        rotated.endpoint.updated_at + timedelta(seconds=body.grace_period)
        if body.grace_period
        else None
    )
    return RotateOut(
        endpoint_id=rotated.endpoint.id,
        secret=rotated.secret,
        previous_secret_expires_at=expires,
    )


@router.post(
    "/{endpoint}/test",
    response_model=TestOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a webhook.test event (or the given one) to this endpoint alone",
)
async def send_test(
    tenant: str,
    endpoint: str,
    ctx: ContextDep,
    who: Operator,
    response: Response,
    body: TestIn | None = None,
    wait: bool = Query(default=False, description="Answer with the first attempt's outcome"),
) -> TestOut:
    body = body or TestIn()
    result = await endpoint_tests.send_test(
        ctx,
        who,
        tenant=tenant,
        endpoint=endpoint,
        event_type=body.event_type,
        payload=body.payload,
        wait=wait,
    )
    attempt = result.attempt
    if wait:
        response.status_code = status.HTTP_200_OK
    outcome = "pending" if attempt is None else attempt.status.value
    if attempt is None and result.delivery.status.is_final:
        outcome = "failed"
    return TestOut(
        message_id=result.message.id,
        delivery_id=result.delivery.id,
        status=result.delivery.status.value,
        outcome=outcome,
        attempt=AttemptOut.of(attempt, result.message.body).model_dump(mode="json")
        if attempt
        else None,
    )
