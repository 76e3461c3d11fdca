"""The event-type catalogue: create, read, change, archive."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from hookline.domain.clock import utcnow
from hookline.domain.errors import Conflict, InvalidInput, NotFound, ValidationReport
from hookline.domain.matching import is_valid_name
from hookline.domain.models import TEST_EVENT_TYPE, EventType, Page, Principal
from hookline.domain.payload_schema import schema_problems, too_deep
from hookline.services.access import Permission, require, require_operator
from hookline.services.context import Context
from hookline.store import event_types as store

_UNSET: Any = object()


def _check_schema(report: ValidationReport, schema: Any) -> None:
    if schema is None:
        return
    if not isinstance(schema, dict):
        report.add("body.schema", "a JSON Schema is an object", schema)
        return
    depth = too_deep(schema)
    if depth is not None:
        report.add("body.schema", depth)
        return
    for problem in schema_problems(schema):
        report.add("body.schema", f"not a valid JSON Schema: {problem}")


async def create(
    ctx: Context,
    principal: Principal,
    *,
    name: str,
    description: str = "",
    schema: dict[str, Any] | None = None,
) -> EventType:
    require(principal, Permission.ADMIN)
    require_operator(principal)
    report = ValidationReport()
    if not is_valid_name(name):
        report.add(
            "body.name",
            "letters, digits, '_', '.', '-'; at most 100; starts alnum",
            name,
        )
    _check_schema(report, schema)
    report.raise_if_any()
    now = utcnow()
    event_type = EventType(name, description, schema, False, now, now)
    async with ctx.db.write() as conn:
        if await store.get_event_type(conn, name) is not None:
            raise Conflict(f"Event type {name!r} already exists.")
        await store.insert_event_type(conn, event_type)
    return event_type


async def get(ctx: Context, principal: Principal, name: str) -> EventType:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        found = await store.get_event_type(conn, name)
    if found is None:
        raise NotFound(f"No event type {name!r}.")
    return found


async def list_(
    ctx: Context,
    principal: Principal,
    *,
    include_archived: bool = False,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
    descending: bool = False,
) -> Page[EventType]:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        return await store.list_event_types(
            conn,
            include_archived=include_archived,
            limit=limit,
            cursor=cursor,
            offset=offset,
            descending=descending,
        )


async def update(
    ctx: Context,
    principal: Principal,
    name: str,
    *,
    description: str | None = None,
    schema: dict[str, Any] | None = _UNSET,
    archived: bool | None = None,
) -> EventType:
    require(principal, Permission.ADMIN)
    require_operator(principal)
    report = ValidationReport()
    if schema is not _UNSET:
        _check_schema(report, schema)
    if archived and name == TEST_EVENT_TYPE:
        report.add("body.archived", f"{TEST_EVENT_TYPE} always exists", archived)
    report.raise_if_any()
    now = utcnow()
    async with ctx.db.write() as conn:
        current = await store.get_event_type(conn, name)
        if current is None:
            raise NotFound(f"No event type {name!r}.")
        new_archived = current.archived if archived is None else archived
        archived_at = (current.updated_at if current.archived else now) if new_archived else None
        await store.update_event_type(
            conn,
            name,
            description=current.description if description is None else description,
            schema=current.schema if schema is _UNSET else schema,
            archived_at=archived_at,
            now=now,
        )
        updated = await store.get_event_type(conn, name)
    assert updated is not None
    return updated


async def archive(ctx: Context, principal: Principal, name: str) -> None:
    """DELETE archives: existing subscriptions keep working, new ones are refused."""
    if name == TEST_EVENT_TYPE:
        require(principal, Permission.ADMIN)
        raise InvalidInput(f"{TEST_EVENT_TYPE} always exists and cannot be archived.")
    await update(ctx, principal, name, archived=True)


async def ensure_builtin(ctx: Context) -> None:
    """`webhook.test` always exists."""
    now = utcnow()
    # Several processes may start at once: the first insert wins, the others find it.
    with contextlib.suppress(IntegrityError):
        await _insert_test_type(ctx, now)


async def _insert_test_type(ctx: Context, now: datetime) -> None:
    async with ctx.db.write() as conn:
        if await store.get_event_type(conn, TEST_EVENT_TYPE) is None:
            await store.insert_event_type(
                conn,
                EventType(
                    TEST_EVENT_TYPE,
                    "Sent by the test button; every endpoint can receive it.",
                    None,
                    False,
                    now,
                    now,
                ),
            )
