"""What every service function gets: the store, the cipher, the wake-up and the policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from hookline.domain.encryption import Cipher
from hookline.domain.retry import DEFAULT_SCHEDULE, RetryPolicy
from hookline.store.database import Database
from hookline.store.wakeup import Wakeup


@dataclass(frozen=True, slots=True)
class Policy:
    allow_http: bool = False
    allow_private_targets: bool = False
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy.parse(DEFAULT_SCHEDULE))
    max_endpoints_per_tenant: int = 10
    max_payload_bytes: int = 256 * 1024
    idempotency_window_s: float = 86400.0


@dataclass(frozen=True, slots=True)
class Context:
    db: Database
    cipher: Cipher
    wakeup: Wakeup
    policy: Policy
