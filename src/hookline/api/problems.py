"""RFC 9457 problem+json for every error the API gives."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from hookline.domain import errors as e
from hookline.domain.errors import StoreUnavailable

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://hookline.dev/problems/"

_STATUS: list[tuple[type[e.HooklineError], int, str]] = [
    (e.NotFound, 404, "not-found"),
    (e.Conflict, 409, "conflict"),
    (e.Forbidden, 403, "forbidden"),
    (e.Unauthorized, 401, "unauthorized"),
    (e.InvalidInput, 422, "validation"),
    (e.RefusedTarget, 400, "endpoint-url-refused"),
    (e.PayloadTooLarge, 413, "payload-too-large"),
    (e.RateLimited, 429, "rate-limited"),
]

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    try:
        content = orjson.dumps(body, default=str)
    except TypeError:  # an echoed value orjson cannot write (an integer beyond 64 bits)
        content = json.dumps(body, default=str).encode()
    return Response(
        content,
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _field_errors(errs: list[e.FieldError]) -> list[dict[str, Any]]:
    return [{"location": f.location, "message": f.message, "value": f.value} for f in errs]


def from_domain(exc: e.HooklineError, request: Request) -> Response:
    for cls, status, slug in _STATUS:
        if isinstance(exc, cls):
            headers: dict[str, str] = {}
            extra: dict[str, Any] = {}
            if isinstance(exc, e.Unauthorized):
                headers["WWW-Authenticate"] = "Bearer"
            if isinstance(exc, e.RateLimited):
                headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
            if isinstance(exc, e.RefusedTarget):
                extra["rule"] = exc.rule
            return problem(
                status,
                exc.detail,
                slug=slug,
                title=exc.title,
                instance=request.url.path,
                errors=_field_errors(exc.errors),
                headers=headers or None,
                extra=extra or None,
            )
    return problem(500, "Unexpected error.", instance=request.url.path)


_HTTP_SLUGS = {413: "payload-too-large"}  # as the body limit's own refusal (limits.py)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(e.HooklineError)
    async def _domain(request: Request, exc: e.HooklineError) -> Response:
        return from_domain(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for err in exc.errors():
            value = err.get("input")
            if isinstance(value, (bytes, bytearray)):
                value = value[:200].decode("utf-8", "replace")
            message = err.get("msg", "")
            reason = (err.get("ctx") or {}).get("error")
            if err.get("type") == "json_invalid" and reason:  # say what the parser found
                message = f"{message}: {reason}"
            errors.append(
                {
                    "location": _location(err.get("loc", ())),
                    "message": message,
                    "value": value,
                }
            )
        return problem(
            422,
            "The request is not valid; see errors for each field.",
            slug="validation",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem(
            exc.status_code,
            detail,
            slug=_HTTP_SLUGS.get(exc.status_code),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(StoreUnavailable)
    async def _store(request: Request, exc: StoreUnavailable) -> Response:
        log.warning("database unavailable: %s", exc)
        return problem(
            503,
            "The database is unavailable; try again shortly. Nothing was changed.",
            slug="unavailable",
            instance=request.url.path,
            headers={"Retry-After": "2"},
        )

    # A database's refusal is handled here, among the application's handlers, not by the
    # catch-all below: Starlette's server-error middleware, which runs that one, sends
    # its answer and then raises the error again for the server to log as a crash.
    @app.exception_handler(SQLAlchemyError)
    async def _database_refused(request: Request, exc: SQLAlchemyError) -> Response:
        return _unexpected_answer(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return _unexpected_answer(request, exc)


def _unexpected_answer(request: Request, exc: Exception) -> Response:
    if _unstorable_text(exc):
        return problem(
            400,
            "The request holds text the database cannot store (a NUL character or an "
            "unpaired surrogate). Nothing was changed.",
            instance=request.url.path,
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "Unexpected error; it has been logged.", instance=request.url.path)


# The drivers' words for text a database refuses: PostgreSQL stores no NUL character,
# and neither database takes an unpaired UTF-16 surrogate.
_UNSTORABLE = ("CharacterNotInRepertoireError", "UntranslatableCharacterError")


def _unstorable_text(exc: BaseException) -> bool:
    """Only a database's refusal counts: the same error from our own code is a bug."""
    if not isinstance(exc, SQLAlchemyError):
        return False
    seen: BaseException | None = exc
    for _ in range(8):  # the chain: SQLAlchemy wraps the driver's error
        if seen is None:
            return False
        if isinstance(seen, UnicodeEncodeError) or type(seen).__name__ in _UNSTORABLE:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False
