"""The API speaks JSON only: a body sent as a form (curl's `-d` default) or with no
content type is read as JSON instead of failing with a confusing validation error."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

_FORM = b"application/x-www-form-urlencoded"
_JSON = b"application/json"


def _media_type(value: bytes) -> bytes:
    return value.split(b";", 1)[0].strip().lower()


def read_as_json(declared: bytes | None) -> bool:
    """Whether a body with this Content-Type (None: none was sent) is read as JSON
    without further question: none, a form (rewritten below) or JSON itself."""
    return declared is None or _media_type(declared) in (_FORM, _JSON)


class JsonByDefault:
    def __init__(self, app: ASGIApp, *, prefix: str = "/v1/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            declared = [v for k, v in scope["headers"] if k == b"content-type"]
            if not declared or _media_type(declared[0]) == _FORM:
                scope = dict(scope)
                scope["headers"] = [*headers, (b"content-type", b"application/json")]
        await self.app(scope, receive, send)
