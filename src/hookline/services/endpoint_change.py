"""An endpoint change: what a PATCH, a replacement or the dashboard's form asks of an
endpoint, as a typed value, and the one place that decides what it does to the
endpoint as stored.

Every entry point translates its input into an `EndpointChange` and nothing more; the
rules live here: which fields may be cleared (their types admit None), what null means
for the rest (auth and signature go back to their defaults), a masked credential
("***") keeps the stored one, header edits compare names without regard to case, and a
change of scheme keeps, shows or replaces the signing secret. What the resulting
settings may be (header conflicts, ranges, event types) is `endpoint_rules.validate_spec`'s.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

from hookline.domain.errors import FieldError, InvalidInput, ValidationReport
from hookline.domain.models import AuthType, Endpoint, EndpointAuth, Ordering, SignatureConfig
from hookline.domain.outgoing import MASK
from hookline.domain.signing import SIGNING_KEY_PREFIX, STANDARD_WEBHOOKS_ED25519, can_sign
from hookline.services.endpoint_rules import EndpointSpec

T = TypeVar("T")


class Unset(enum.Enum):
    """The type of `UNSET`: a field the change leaves as it is. (None, where a field's
    type allows it, is a value: it clears the field.)"""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def not_null(report: ValidationReport, location: str, value: T | None) -> T | Unset:
    """A field sent as null that no change may clear: reported at `location`, and
    left unset."""
    if value is None:
        report.add(location, "may not be null")
        return UNSET
    return value


@dataclass(frozen=True, slots=True)
class HeaderEdit:
    """Headers to set (a value) or remove (None), and names to remove, over the stored
    ones; names are compared without regard to case, as HTTP does."""

    put: Mapping[str, str | None] = field(default_factory=dict)
    remove: tuple[str, ...] = ()

    def applied_to(self, current: Mapping[str, str]) -> dict[str, str]:
        out = dict(current)

        def drop(name: str) -> None:
            for existing in [k for k in out if k.lower() == name.lower()]:
                del out[existing]

        for name, value in self.put.items():
            drop(name)
            if value is not None:
                out[name] = value
        for name in self.remove:
            drop(name)
        return out


@dataclass(frozen=True, slots=True)
class EndpointChange:
    """The fields to change; every other one stays as stored."""

    url: str | Unset = UNSET
    events: tuple[str, ...] | Unset = UNSET
    uid: str | Unset | None = UNSET  # None: no uid
    description: str | Unset = UNSET
    enabled: bool | Unset = UNSET
    timeout: int | Unset = UNSET
    rate_limit: int | Unset | None = UNSET  # None: no rate limit
    max_in_flight: int | Unset | None = UNSET  # None: the deployment's
    ordering: Ordering | Unset = UNSET
    retry_schedule: tuple[float, ...] | Unset | None = UNSET  # None: the deployment's
    auth: EndpointAuth | Unset | None = UNSET  # None: no auth
    headers: Mapping[str, str] | HeaderEdit | Unset = UNSET
    signature: SignatureConfig | Unset | None = UNSET  # None: the default scheme
    send_trace_context: bool | Unset = UNSET
    channels: tuple[str, ...] | Unset | None = UNSET  # None: every message

    @classmethod
    def replacing(cls, spec: EndpointSpec) -> EndpointChange:
        """Every settable field as in `spec` (a replacement by uid): the secret aside,
        which only a rotation changes."""
        return cls(
            url=spec.url,
            events=tuple(spec.events),
            uid=spec.uid,
            description=spec.description,
            enabled=spec.enabled,
            timeout=spec.timeout,
            rate_limit=spec.rate_limit,
            max_in_flight=spec.max_in_flight,
            ordering=spec.ordering,
            retry_schedule=spec.retry_schedule,
            auth=spec.auth,
            headers=dict(spec.headers),
            signature=spec.signature,
            send_trace_context=spec.send_trace_context,
            channels=None if spec.channels is None else tuple(spec.channels),
        )

    def spec_after(self, current: Endpoint) -> EndpointSpec:
        """The endpoint's settings once changed (to validate, then store)."""
        return self._over(spec_of(current))

    def new_spec(self) -> EndpointSpec:
        """The settings of a new endpoint: these fields over the defaults."""
        return self._over(EndpointSpec(url="", events=[]))

    def _over(self, base: EndpointSpec) -> EndpointSpec:
        auth, signature, headers = self.auth, self.signature, self.headers
        events, channels = self.events, self.channels
        return EndpointSpec(
            url=_or(self.url, base.url),
            events=base.events if isinstance(events, Unset) else list(events),
            uid=_or(self.uid, base.uid),
            description=_or(self.description, base.description),
            enabled=_or(self.enabled, base.enabled),
            timeout=_or(self.timeout, base.timeout),
            rate_limit=_or(self.rate_limit, base.rate_limit),
            max_in_flight=_or(self.max_in_flight, base.max_in_flight),
            ordering=_or(self.ordering, base.ordering),
            retry_schedule=_or(self.retry_schedule, base.retry_schedule),
            auth=base.auth
            if isinstance(auth, Unset)
            else EndpointAuth(AuthType.NONE)
            if auth is None
            else keep_masked(auth, base.auth),
            headers=base.headers
            if isinstance(headers, Unset)
            else headers.applied_to(base.headers)
            if isinstance(headers, HeaderEdit)
            else dict(headers),
            signature=base.signature
            if isinstance(signature, Unset)
            else SignatureConfig()
            if signature is None
            else signature,
            secret=None,
            generate_secret=base.generate_secret,
            send_trace_context=_or(self.send_trace_context, base.send_trace_context),
            channels=base.channels
            if isinstance(channels, Unset)
            else None
            if channels is None
            else list(channels),
        )


def _or(value: T | Unset, stored: T) -> T:
    return stored if isinstance(value, Unset) else value


def spec_of(endpoint: Endpoint) -> EndpointSpec:
    """The user-settable part of an endpoint, as a spec to change."""
    return EndpointSpec(
        url=endpoint.url,
        events=list(endpoint.events),
        uid=endpoint.uid,
        description=endpoint.description,
        enabled=endpoint.enabled,
        timeout=endpoint.timeout,
        rate_limit=endpoint.rate_limit,
        max_in_flight=endpoint.max_in_flight,
        ordering=endpoint.ordering,
        retry_schedule=endpoint.retry_schedule,
        auth=endpoint.auth,
        headers=dict(endpoint.headers),
        signature=endpoint.signature,
        secret=None,
        generate_secret=False,
        send_trace_context=endpoint.send_trace_context,
        channels=list(endpoint.channels) or None,
    )


def keep_masked(new: EndpointAuth, old: EndpointAuth) -> EndpointAuth:
    """A client that echoes a masked credential ("***") keeps the stored one.

    A mask with nothing stored behind it (another auth type, or a field never set) is
    refused: saving "***" as the credential would break delivery without a word.
    """
    report = ValidationReport()
    fields = {}
    for name, value in new.fields.items():
        if value == MASK:
            if new.type is old.type and name in old.fields:
                value = old.fields[name]
            else:
                report.add(
                    f"body.auth.{name}",
                    f"{MASK!r} keeps a stored credential, and none is stored here: "
                    "send the real value",
                )
        fields[name] = value
    report.raise_if_any()
    return EndpointAuth(new.type, fields)


class SecretMove(enum.Enum):
    """What a change of signature scheme does to the endpoint's current secret."""

    KEEP = "keep"  # it signs with the new scheme as it is
    SHOW_KEY = "show_key"  # an Ed25519 key already: show its public key
    NEW_KEY = "new_key"  # a new Ed25519 key pair; the old secret keeps signing a while


def secret_move(scheme: str, secret: str) -> SecretMove:
    """Keep the secret when it still signs, or give an Ed25519 endpoint a new key pair
    (receivers need only its public key, on show).

    A shared secret has to be shown once, which only `rotate-secret` does, so a move
    to a scheme the secret cannot sign is refused.
    """
    if scheme == STANDARD_WEBHOOKS_ED25519:
        return SecretMove.SHOW_KEY if secret.startswith(SIGNING_KEY_PREFIX) else SecretMove.NEW_KEY
    if can_sign(scheme, secret):
        return SecretMove.KEEP
    how = (
        "switch to standard-webhooks, rotate the secret, then switch again"
        if secret.startswith(SIGNING_KEY_PREFIX)
        else "rotate the secret first: a generated secret signs with every HMAC scheme"
    )
    detail = f"The endpoint's current secret cannot sign with {scheme}; {how}."
    raise InvalidInput(detail, errors=[FieldError("body.signature.scheme", detail, scheme)])
