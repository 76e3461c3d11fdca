"""What every service function gets: the store, the cipher, the wake-up and the policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from hookline.domain.encryption import Cipher
from hookline.domain.network_policy import HostResolver
from hookline.domain.retry import DEFAULT_SCHEDULE, RetryPolicy
from hookline.store.database import Database
from hookline.store.wakeup import Wakeup


@dataclass(frozen=True, slots=True)
class Policy:
    """What this deployment allows, and the resolver that judges endpoint hosts by."""

    # Answers for endpoint host names at registration: the composition root (app.py)
    # gives the system's resolver; tests stand in for DNS here.
    resolver: HostResolver
    allow_http: bool = False
    allow_private_targets: bool = False
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy.parse(DEFAULT_SCHEDULE))
    max_endpoints_per_tenant: int = 10
    max_payload_bytes: int = 256 * 1024
    idempotency_window_s: float = 86400.0
    api_rate_limit: float = 100.0  # requests per second per tenant-bound key; 0 = no limit
    api_rate_burst: int = 200
    operator_api_rate_limit: float = 0.0  # per operator-wide key; 0 = no limit (the default)
    operator_api_rate_burst: int = 0
    metrics_token: str | None = None  # /metrics answers only `Bearer <token>` when set


@dataclass(frozen=True, slots=True)
class Context:
    db: Database
    cipher: Cipher
    wakeup: Wakeup
    policy: Policy
    # HMAC keys for dashboard sessions and portal links, derived from the master keys
    # (`sessions.derive_signing_key`): the first signs, every one verifies.
    signing_keys: tuple[bytes, ...] = ()

    @property
    def resolver(self) -> HostResolver:
        return self.policy.resolver
