"""The dashboard's endpoint form: what it shows, as text, and what a posted form asks
of the endpoint, as an `EndpointChange` (and the rules' errors put back on its fields)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData

from hookline.domain.errors import Conflict, InvalidInput, RefusedTarget
from hookline.domain.models import Endpoint, EventType
from hookline.services.endpoint_change import UNSET, EndpointChange


@dataclass
class FormValues:
    """What the endpoint form shows, as text, so a refused form comes back as typed."""

    url: str = ""
    description: str = ""
    events: list[str] = field(default_factory=list)
    patterns: str = ""
    timeout: str = "30"
    rate_limit: str = ""
    uid: str = ""
    channels: str = ""

    @classmethod
    def posted(cls, form: FormData) -> FormValues:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        return cls(
            url=text("url"),
            description=text("description"),
            events=[v for v in form.getlist("events") if isinstance(v, str)],
            patterns=text("patterns"),
            timeout=text("timeout"),
            rate_limit=text("rate_limit"),
            uid=text("uid"),
            channels=text("channels"),
        )

    @classmethod
    def of(cls, endpoint: Endpoint, catalogue: list[EventType]) -> FormValues:
        known = {e.name for e in catalogue}
        return cls(
            url=endpoint.url,
            description=endpoint.description,
            events=[e for e in endpoint.events if e in known],
            patterns=", ".join(e for e in endpoint.events if e not in known),
            timeout=str(endpoint.timeout),
            rate_limit="" if endpoint.rate_limit is None else str(endpoint.rate_limit),
            uid=endpoint.uid or "",
            channels=", ".join(endpoint.channels),
        )

    def change(self) -> tuple[EndpointChange, dict[str, list[str]]]:
        """The fields as an endpoint change, and what could not even be read (the change
        is not to be made when there is any)."""
        errors: dict[str, list[str]] = {}
        patterns = [p.strip() for p in self.patterns.split(",") if p.strip()]
        timeout = parse_int(self.timeout)
        if timeout is None:
            errors["timeout"] = ["a whole number of seconds"]
        rate_limit = None
        if self.rate_limit:
            rate_limit = parse_int(self.rate_limit)
            if rate_limit is None:
                errors["rate_limit"] = ["a whole number, or empty for none"]
        channels = tuple(c.strip() for c in self.channels.split(",") if c.strip())
        change = EndpointChange(
            url=self.url,
            description=self.description,
            events=(*self.events, *patterns),
            timeout=UNSET if timeout is None else timeout,
            rate_limit=rate_limit,
            uid=self.uid or None,
            channels=channels or None,
        )
        return change, errors


def parse_int(value: object, default: int | None = None) -> int | None:
    """A whole number typed in a form: `default` when blank, None when not a number."""
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def field_errors(exc: InvalidInput | RefusedTarget | Conflict) -> dict[str, list[str]]:
    """A refusal's messages by the form field they are about ("_": the form's)."""
    errors: dict[str, list[str]] = {}
    if isinstance(exc, RefusedTarget):
        errors["url"] = [exc.detail]
        return errors
    for err in exc.errors:
        name = err.location.removeprefix("body.").split(".")[0]
        if name not in FormValues.__dataclass_fields__:
            name = "_"
        errors.setdefault(name, []).append(err.message)
    if not exc.errors:
        errors["_"] = [exc.detail]
    return errors
