"""POST /v1/tenants/{tenant}/messages without the framework's per-request machinery.

Publishing is the one call a vendor's backend makes for every event, and in
`hookline serve` it shares one core with delivery. FastAPI's middleware stack, routing
over every route and dependency solving cost more than the publish itself (measured in
`make bench`: about 40 % of `hookline api`'s time per publish). This ASGI middleware
answers an ordinary publish directly, with the same model, service and error handlers
as the route in `routes/messages.py`, and hands everything else to the application:

- anything but a JSON body of a declared length within the limit, a body that does not
  parse or validate as `MessageIn`, a path that is not exactly the publish route: the
  application gets the request (and the body already read) untouched, so every 4xx of
  the input is the route's own;
- once the body is valid, errors (401, 403, 404, 409, 429, 503, 500) are rendered by the
  application's own exception handlers.

It wraps the FastAPI application from outside (`api.app.served`), not as one of its
middlewares: Starlette would put its error and exception middlewares, and FastAPI its
telemetry and body-limit ones, in front of any middleware added to the application.

The route stays the contract (OpenAPI, validation errors); tests publish through both
and compare.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from hookline.api.deps import principal_of
from hookline.api.json_body import read_as_json
from hookline.api.rate_limit import quota_of
from hookline.api.routes.messages import publish_message
from hookline.api.schemas.messages import MessageIn
from hookline.services.context import Context

ROUTE = re.compile(r"/v1/tenants/([^/]+)/messages")


class PublishFastPath:
    def __init__(self, app: FastAPI, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        match = ROUTE.fullmatch(scope["path"])
        if match is None or not self._plain_json(scope):
            await self.app(scope, receive, send)
            return
        body = await self._read(receive)
        if body is None:  # the client went away before sending it all: nobody to answer
            return
        try:
            message_in = MessageIn.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError):  # the route explains what is wrong
            await self.app(scope, _replay(body, receive), send)
            return
        response = await self._publish(scope, match.group(1), message_in)
        quota = quota_of(scope)  # as `RateLimitHeaders` adds them inside the application
        if quota is not None:
            response.raw_headers.extend(quota.header_pairs())
        await response(scope, receive, send)

    def _plain_json(self, scope: Scope) -> bool:
        length: int | None = None
        content_type: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                if length is not None or not value.isdigit():
                    return False
                length = int(value)
            elif name == b"content-type":
                if content_type is not None:
                    return False
                content_type = value
            elif name == b"transfer-encoding":
                return False
        return length is not None and length <= self.max_bytes and read_as_json(content_type)

    @staticmethod
    async def _read(receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _publish(self, scope: Scope, tenant: str, body: MessageIn) -> Response:
        app = self.app
        scope["app"] = app  # as Starlette sets it, for whoever asks `request.app`
        request = Request(scope)
        ctx: Context = app.state.ctx
        try:
            who = await principal_of(request, ctx)
            out, created = await publish_message(
                ctx, who, tenant, body, request.headers.get("idempotency-key")
            )
        except Exception as exc:
            return await _handled(app, request, exc)
        return Response(
            out.model_dump_json(),
            status_code=202 if created else 200,
            media_type="application/json",
        )


async def _handled(app: FastAPI, request: Request, exc: Exception) -> Response:
    """The response the application's exception handlers give for `exc`."""
    handlers: dict[Any, Any] = app.exception_handlers  # Hookline's are all async
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            response: Response = await handler(request, exc)
            return response
    raise exc  # no handler at all (Hookline installs one for Exception)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives `body` first, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
