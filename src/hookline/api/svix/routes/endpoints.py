"""/api/v1/app/{app_id}/endpoint: create, list, read, replace, change, delete."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response, status

from hookline.api.deps import ContextDep, PrincipalDep
from hookline.api.strict_json import StrictJsonRoute
from hookline.api.svix.paging import Iterator, Limit, Order, OrderParam, list_response, window
from hookline.api.svix.schemas.common import ListResponse
from hookline.api.svix.schemas.endpoints import (
    EVERY_EVENT,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointUpsertIn,
)
from hookline.domain.errors import FieldError, InvalidInput, NotFound, ValidationReport
from hookline.domain.models import SignatureConfig
from hookline.domain.signing import (
    SECRET_PREFIX,
    SIGNING_KEY_PREFIX,
    STANDARD_WEBHOOKS,
    STANDARD_WEBHOOKS_ED25519,
)
from hookline.services import endpoints as service
from hookline.services.endpoint_change import UNSET, EndpointChange, Unset, not_null
from hookline.services.endpoint_rules import EndpointSpec

router = APIRouter(prefix="/api/v1/app/{app_id}/endpoint", route_class=StrictJsonRoute)

AppId = Path(min_length=1, max_length=256, description="The application's id or uid")
EndpointId = Path(min_length=1, max_length=256, description="The endpoint's id or uid")
_KEY_PREFIXES = ("whsec_", "whsk_", "whsk1_", "whpk_", "whpk1_")


def secret_of(value: str | None) -> str | None:
    """Svix takes a secret with or without `whsec_`; Hookline stores it with."""
    if value is None or value.startswith(_KEY_PREFIXES):
        return value
    return SECRET_PREFIX + value


def signature_for(secret: str | None) -> SignatureConfig:
    """A `whsk_` key signs with Ed25519 (Svix's asymmetric signatures, `v1a`)."""
    if secret is not None and secret.startswith(SIGNING_KEY_PREFIX):
        return SignatureConfig(STANDARD_WEBHOOKS_ED25519)
    return SignatureConfig(STANDARD_WEBHOOKS)


@router.get("", response_model=ListResponse[EndpointOut])
async def list_endpoints(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    limit: Limit = 50,
    iterator: Iterator = None,
    order: OrderParam = None,
) -> ListResponse[EndpointOut]:
    at = window(iterator, order, default=Order.DESCENDING)
    page = await service.list_(
        ctx, who, tenant=app_id, limit=limit, cursor=at.cursor, descending=at.descending
    )
    return list_response(
        [EndpointOut.of(e) for e in page.items],
        more=page.next_cursor is not None,
        at=at,
        key=lambda e: e.id,
    )


@router.post("", response_model=EndpointOut, status_code=status.HTTP_201_CREATED)
async def create_endpoint(
    body: EndpointIn, ctx: ContextDep, who: PrincipalDep, app_id: str = AppId
) -> EndpointOut:
    secret = secret_of(body.secret)
    spec = EndpointSpec(
        url=body.url,
        events=body.events(),
        uid=body.uid,
        description=body.description,
        enabled=not body.disabled,
        rate_limit=body.rate(),
        headers=dict(body.headers or {}),
        signature=signature_for(secret),
        secret=secret,
        channels=body.channels,
    )
    created = await service.create(ctx, who, tenant=app_id, spec=spec)
    return EndpointOut.of(created.endpoint)


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(
    ctx: ContextDep, who: PrincipalDep, app_id: str = AppId, endpoint_id: str = EndpointId
) -> EndpointOut:
    return EndpointOut.of(await service.get(ctx, who, tenant=app_id, endpoint=endpoint_id))


@router.put("/{endpoint_id}", response_model=EndpointOut, status_code=status.HTTP_201_CREATED)
async def upsert_endpoint(
    body: EndpointUpsertIn,
    ctx: ContextDep,
    who: PrincipalDep,
    response: Response,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
) -> EndpointOut:
    """Replace the endpoint with this id or uid, or create it (with the body's uid) when
    there is none. What Svix's replacement leaves out (headers, the secret) stays."""
    change = EndpointChange(
        url=body.url,
        description=body.description,
        events=tuple(body.events()),
        enabled=not body.disabled,
        rate_limit=body.rate(),
        channels=None if body.channels is None else tuple(body.channels),
        uid=body.uid if body.given("uid") else UNSET,
    )
    try:
        current = await service.get(ctx, who, tenant=app_id, endpoint=endpoint_id)
    except NotFound:
        created = await service.create(ctx, who, tenant=app_id, spec=change.new_spec())
        return EndpointOut.of(created.endpoint)
    response.status_code = status.HTTP_200_OK
    updated = await service.update(
        ctx, who, tenant=current.tenant_id, endpoint=current.id, change=change
    )
    return EndpointOut.of(updated)


def _patch_change(body: EndpointPatch) -> EndpointChange:
    report = ValidationReport()
    url = not_null(report, "body.url", body.url) if body.given("url") else UNSET
    description = (
        not_null(report, "body.description", body.description)
        if body.given("description")
        else UNSET
    )
    disabled = not_null(report, "body.disabled", body.disabled) if body.given("disabled") else UNSET
    report.raise_if_any()
    events: tuple[str, ...] | Unset = UNSET
    if body.given("event_types") or body.given("filter_types"):
        types = body.event_types if body.given("event_types") else body.filter_types
        events = tuple(types) if types else (EVERY_EVENT,)
    rate_limit: int | Unset | None = UNSET
    if body.given("throttle_rate") or body.given("rate_limit"):
        rate = body.throttle_rate if body.given("throttle_rate") else body.rate_limit
        rate_limit = rate or None  # 0: no rate
    channels = body.channels
    return EndpointChange(
        url=url,
        description=description,
        enabled=UNSET if isinstance(disabled, Unset) else not disabled,
        events=events,
        rate_limit=rate_limit,
        channels=(None if channels is None else tuple(channels))
        if body.given("channels")
        else UNSET,
        uid=body.uid if body.given("uid") else UNSET,
    )


@router.patch("/{endpoint_id}", response_model=EndpointOut)
async def patch_endpoint(
    body: EndpointPatch,
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
) -> EndpointOut:
    change = _patch_change(body)
    updated = await service.update(ctx, who, tenant=app_id, endpoint=endpoint_id, change=change)
    if body.given("secret"):
        if body.secret is None:
            raise InvalidInput(
                "An endpoint's secret cannot be removed; rotate it instead.",
                errors=[FieldError("body.secret", "may not be null")],
            )
        rotated = await service.rotate_secret(
            ctx,
            who,
            tenant=updated.tenant_id,
            endpoint=updated.id,
            secret=secret_of(body.secret),
            grace_period=0,  # Svix's patch replaces the secret outright
        )
        updated = rotated.endpoint
    return EndpointOut.of(updated)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_endpoint(
    ctx: ContextDep, who: PrincipalDep, app_id: str = AppId, endpoint_id: str = EndpointId
) -> Response:
    await service.delete(ctx, who, tenant=app_id, endpoint=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
