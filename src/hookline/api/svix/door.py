"""The door itself, in front of the application for paths under `/api/v1/`.

- Svix's SDKs ask for paths with and without a trailing slash (older ones with); both
  are answered, without a redirect (the native API's router would redirect).
- Every problem+json answer on the way out becomes Svix's error body of the same status
  (`errors.from_problem`), whoever made it: a service, the router, the rate limit, or
  the body limit in front of the application. Headers such as `Retry-After` stay.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.api.svix.errors import PREFIX, from_problem, is_svix_path

_PROBLEM = b"application/problem+json"


class SvixDoor:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_svix_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.endswith("/") and len(path) > len(PREFIX) + 1:
            scope = dict(scope)
            scope["path"] = path.rstrip("/")
            raw = scope.get("raw_path")
            if isinstance(raw, bytes):
                scope["raw_path"] = raw.rstrip(b"/")
        await self.app(scope, receive, _svix_errors(send))


def _svix_errors(send: Send) -> Send:
    """A `send` that rewrites a problem+json response into Svix's error body."""
    held: Message | None = None
    chunks: list[bytes] = []

    async def rewriting(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start":
            content_type = next(
                (v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b""
            )
            if content_type.startswith(_PROBLEM):
                held = message
                return
        elif message["type"] == "http.response.body" and held is not None:
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_rewritten(send, held, b"".join(chunks))
            return
        await send(message)

    return rewriting


async def _send_rewritten(send: Send, start: Message, body: bytes) -> None:
    status = int(start["status"])
    try:
        problem = orjson.loads(body)
    except orjson.JSONDecodeError:
        problem = {"detail": body.decode("utf-8", "replace")}
    content = orjson.dumps(from_problem(status, problem if isinstance(problem, dict) else {}))
    headers = [
        (k, v)
        for k, v in start.get("headers", [])
        if k.lower() not in (b"content-type", b"content-length")
    ]
    headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
