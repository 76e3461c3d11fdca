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
- once the body is valid, the publish runs as the route runs it; its answer gets the
  key's `RateLimit-*` headers as `RateLimitHeaders` adds them, and whatever it raises
  goes through the application's own pieces, in the order the application has them:
  `RateLimitHeaders` outside Starlette's `ExceptionMiddleware`, which answers every
  error (401, 403, 404, 409, 413, 422, 429, 503) with the application's exception
  handlers. (A 500 differs in one way: the application's catch-all answers it here,
  where Starlette's server-error middleware would answer it outside `RateLimitHeaders`,
  so it carries the key's quota.)

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
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.api.deps import principal_of
from hookline.api.json_body import read_as_json
from hookline.api.rate_limit import RateLimitHeaders, quota_of
from hookline.api.routes.messages import publish_message
from hookline.api.schemas.messages import MessageIn
from hookline.services.context import Context

ROUTE = re.compile(r"/v1/tenants/([^/]+)/messages")
# Where a publish's exception waits for the application's handlers (in the request's scope).
_FAILED = "hookline.publish_failed"


class PublishFastPath:
    def __init__(self, app: FastAPI, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._errors: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        match = ROUTE.fullmatch(scope["path"])
        if match is None or not self._plain_json(scope):
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        if body is None:  # the client went away before sending it all: nobody to answer
            return
        try:
            message_in = MessageIn.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError):  # the route explains what is wrong
            await self.app(scope, _replay(body, receive), send)
            return
        scope["app"] = self.app  # as Starlette sets it, for whoever asks `request.app`
        try:
            response = await self._publish(scope, receive, match.group(1), message_in)
        except Exception as exc:
            scope[_FAILED] = exc
            await self._answering_errors()(scope, receive, send)
            return
        quota = quota_of(scope)  # appended as `RateLimitHeaders` does on the route's answers
        if quota is not None:
            response.raw_headers.extend(quota.header_pairs())
        await response(scope, receive, send)

    def _answering_errors(self) -> ASGIApp:
        """What answers a publish that raised: the application's own pieces, in its
        order, around a step that raises it again. Built on the first error, when every
        exception handler is installed (`create_app`, then `svix.install`). A publish that
        succeeds does not pass through them: about 20 µs of a publish's 200 less."""
        if self._errors is None:
            handlers = self.app.exception_handlers
            self._errors = RateLimitHeaders(ExceptionMiddleware(_raise_again, handlers=handlers))
        return self._errors

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

    async def _publish(
        self, scope: Scope, receive: Receive, tenant: str, body: MessageIn
    ) -> Response:
        """The publish itself, as the route does it: its answer, or what it raised."""
        ctx: Context = self.app.state.ctx
        request = Request(scope, receive)
        who = await principal_of(request, ctx)
        out, created = await publish_message(
            ctx, who, tenant, body, request.headers.get("idempotency-key")
        )
        return Response(
            out.model_dump_json(),
            status_code=202 if created else 200,
            media_type="application/json",
        )


async def _raise_again(scope: Scope, receive: Receive, send: Send) -> None:
    raise scope.pop(_FAILED)


async def _read(receive: Receive) -> bytes | None:
    """The whole body, or None when the client disconnected first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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
