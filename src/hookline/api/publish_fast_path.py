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
- once the body is valid, the publish runs inside the application's own pieces, in the
  order the application has them: `RateLimitHeaders` outside Starlette's
  `ExceptionMiddleware`, which answers every error (401, 403, 404, 409, 413, 422, 429,
  503) with the application's exception handlers. (A 500 differs in one way: the
  application's catch-all answers it here, where Starlette's server-error middleware
  would answer it outside `RateLimitHeaders`, so it carries the key's quota.)

It wraps the FastAPI application from outside (`api.app.served`), not as one of its
middlewares: Starlette would put its error and exception middlewares, and FastAPI its
telemetry and body-limit ones, in front of any middleware added to the application.

The route stays the contract (OpenAPI, validation errors), and both call
`routes.messages.publish_message`, so `services.publish` decides alike for either;
`tests/api/test_publish_fast_path.py` sends a table of bodies to the same runtime
served with and without this path and compares the answers byte for byte.
"""

from __future__ import annotations

import re

import orjson
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.api.deps import principal_of
from hookline.api.json_body import read_as_json
from hookline.api.rate_limit import RateLimitHeaders
from hookline.api.routes.messages import publish_message
from hookline.api.schemas.messages import MessageIn
from hookline.services.context import Context

ROUTE = re.compile(r"/v1/tenants/([^/]+)/messages")
# Where a publish's tenant and valid body wait for `_answer` (the scope is the request's).
_PUBLISH = "hookline.publish"


class PublishFastPath:
    def __init__(self, app: FastAPI, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._stack: ASGIApp | None = None  # built on first use: about 9 µs a publish less

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        match = ROUTE.fullmatch(scope["path"])
        if match is None or not self._plain_json(scope):
            await self.app(scope, receive, send)
            return
        try:
            body = await Request(scope, receive).body()
        except ClientDisconnect:  # the client went away before sending it all: nobody to answer
            return
        try:
            message_in = MessageIn.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError):  # the route explains what is wrong
            await self.app(scope, _replay(body, receive), send)
            return
        scope["app"] = self.app  # as Starlette sets it, for whoever asks `request.app`
        scope[_PUBLISH] = (match.group(1), message_in)
        await self._answering()(scope, receive, send)

    def _answering(self) -> ASGIApp:
        """`_answer` inside the application's pieces. Built on the first publish, when
        every exception handler is installed (`create_app`, then `svix.install`)."""
        if self._stack is None:
            handlers = self.app.exception_handlers
            self._stack = RateLimitHeaders(ExceptionMiddleware(self._answer, handlers=handlers))
        return self._stack

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

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The publish itself: it answers, or raises for the handlers."""
        tenant, body = scope[_PUBLISH]
        ctx: Context = self.app.state.ctx
        request = Request(scope, receive)
        who = await principal_of(request, ctx)
        out, created = await publish_message(
            ctx, who, tenant, body, request.headers.get("idempotency-key")
        )
        response = Response(
            out.model_dump_json(),
            status_code=202 if created else 200,
            media_type="application/json",
        )
        await response(scope, receive, send)


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
