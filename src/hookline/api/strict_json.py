"""Request bodies are read as strict JSON (RFC 8259), the same as the publish fast path.

Python's `json` module, which FastAPI reads bodies with, also takes `NaN`, `Infinity`
and `-Infinity`; such a payload would then be stored as `null` without a word. The API's
routes read bodies with orjson instead, which refuses them: the client gets FastAPI's
own "JSON decode error" 422 (orjson's error is a `json.JSONDecodeError`). A body nested
deeper than orjson reads (1024 levels) gets that 422 too, naming the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

JSON_DEPTH_LIMIT = 1024  # orjson's: it reads no deeper


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = orjson.loads(await self.body())
            except orjson.JSONDecodeError as exc:
                if not exc.msg.startswith("depth limit exceeded"):
                    raise
                message = f"nested more than {JSON_DEPTH_LIMIT} levels deep (the limit)"
                raise json.JSONDecodeError(message, exc.doc, exc.pos) from exc
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return run
