"""Request bodies are read as strict JSON (RFC 8259), the same as the publish fast path.

Python's `json` module, which FastAPI reads bodies with, also takes `NaN`, `Infinity`
and `-Infinity`; such a payload would then be stored as `null` without a word. The API's
routes read bodies with orjson instead, which refuses them: the client gets FastAPI's
own "JSON decode error" 422 (orjson's error is a `json.JSONDecodeError`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return run
