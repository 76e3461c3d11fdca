"""Domain errors. The API maps each to one problem+json status; nothing here knows HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    location: str
    message: str
    value: Any = None


class HooklineError(Exception):
    """Base class: `detail` is the human sentence shown to the caller."""

    title = "Error"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[FieldError] = errors or []


class NotFound(HooklineError):
    title = "Not found"


class Conflict(HooklineError):
    title = "Conflict"


class Forbidden(HooklineError):
    title = "Forbidden"


class ForeignTenant(Forbidden):
    """A tenant-bound key asked for another tenant. The native API answers 403 (DESIGN
    §4); the Svix door answers 404, as Svix does for another organisation's objects."""


class Unauthorized(HooklineError):
    title = "Unauthorized"


class InvalidInput(HooklineError):
    """A well-formed request whose content is not acceptable (422)."""

    title = "Validation failed"


class RefusedTarget(HooklineError):
    """An endpoint URL the network policy does not allow (400)."""

    title = "Endpoint URL refused"

    def __init__(self, detail: str, *, rule: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail, errors=errors)
        self.rule = rule


class PayloadTooLarge(HooklineError):
    title = "Payload too large"


class RateLimited(HooklineError):
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ValidationReport:
    """Collects field errors so one response can name all of them."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, location: str, message: str, value: Any = None) -> None:
        self.errors.append(FieldError(location, message, value))

    def raise_if_any(self, detail: str = "The request is not valid.") -> None:
        if self.errors:
            raise InvalidInput(detail, errors=list(self.errors))


class StoreUnavailable(Exception):
    """The database cannot be reached right now (the API answers 503, the CLI says so).

    Raised by the store; here so that the entry points can name it without importing
    the store."""
