"""The errors the client raises: `HooklineError` with the fields of the API's RFC 9457
problem+json answer, one subclass per status that callers handle, and how each is built
from an answer or from a connection that failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class FieldError:
    location: str
    message: str
    value: Any = None


class HooklineError(Exception):
    """An answer that is not 2xx, with the fields of its RFC 9457 problem+json body."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        type: str = "about:blank",
        title: str = "",
        instance: str | None = None,
        errors: list[FieldError] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}" if status else detail)
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.errors = errors or []
        self.body = body
        self.headers = dict(headers or {})


class HooklineConnectionError(HooklineError):
    """Hookline could not be reached (after the retries)."""


class BadRequestError(HooklineError):
    """400: e.g. an endpoint URL refused by the network policy."""


class AuthenticationError(HooklineError):
    """401: no key, or an unknown or revoked one."""


class PermissionDeniedError(HooklineError):
    """403: the key's role or tenant does not allow this."""


class NotFoundError(HooklineError):
    """404."""


class ConflictError(HooklineError):
    """409: uid taken, endpoint quota reached."""


class PayloadTooLargeError(HooklineError):
    """413."""


class ValidationError(HooklineError):
    """422: see `errors` for each field."""


class RateLimitError(HooklineError):
    """429 (after the retries)."""


class ServerError(HooklineError):
    """5xx (after the retries, when the request was safe to repeat)."""


_ERRORS: dict[int, type[HooklineError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: ValidationError,
    429: RateLimitError,
}


def error_from_answer(resp: httpx.Response) -> HooklineError:
    """The error for an answer that is not 2xx, read from its problem+json body (or, when
    the body is not a JSON object, from its text)."""
    try:
        body: Any = resp.json()
    except ValueError:
        body = None
    code = resp.status_code
    cls = _ERRORS.get(code, ServerError if code >= 500 else HooklineError)
    if not isinstance(body, dict):
        detail = resp.text[:500] or resp.reason_phrase
        return cls(detail, status=code, title=resp.reason_phrase, headers=resp.headers)
    errors = [
        FieldError(str(e.get("location", "")), str(e.get("message", "")), e.get("value"))
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]
    return cls(
        str(body.get("detail", resp.reason_phrase)),
        status=code,
        type=str(body.get("type", "about:blank")),
        title=str(body.get("title", resp.reason_phrase)),
        instance=body.get("instance"),
        errors=errors,
        body=body,
        headers=resp.headers,
    )


def connection_error(exc: httpx.TransportError, method: str, path: str) -> HooklineConnectionError:
    """The error for a request that got no answer (after the retries)."""
    reason = str(exc) or type(exc).__name__
    return HooklineConnectionError(f"{method} {path}: {reason}")
