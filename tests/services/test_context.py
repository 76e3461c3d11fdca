"""services.context: what app.py hands every service function, built from the settings."""

from __future__ import annotations

from pathlib import Path

from hookline.app import Runtime
from hookline.domain.encryption import Cipher, new_master_key, parse_master_key
from hookline.domain.retry import DEFAULT_SCHEDULE, RetryPolicy
from hookline.services import sessions
from hookline.services.context import Policy
from support.databases import sqlite_url
from support.harness import TEST_MASTER_KEY, settings_for
from support.services import StaticResolver


def test_the_runtimes_context_carries_the_settings_policy_and_keys(tmp_path: Path) -> None:
    resolver = StaticResolver("93.184.216.34")
    new = new_master_key()
    settings = settings_for(
        sqlite_url(tmp_path),
        secret_key=new,
        previous_secret_keys=TEST_MASTER_KEY,
        allow_http=False,
        max_endpoints_per_tenant=3,
        max_payload_bytes=1000,
        retry_schedule="1s,2s",
    )
    ctx = Runtime.build(settings, resolver=resolver).ctx  # nothing here opens the database
    assert ctx.resolver is resolver is ctx.policy.resolver
    policy = ctx.policy
    assert (policy.allow_http, policy.allow_private_targets) == (False, True)
    assert (policy.max_endpoints_per_tenant, policy.max_payload_bytes) == (3, 1000)
    assert policy.retry == RetryPolicy.parse("1s,2s")
    old_cipher = Cipher([parse_master_key(TEST_MASTER_KEY)])
    assert ctx.cipher.primary_key_id != old_cipher.primary_key_id
    assert ctx.cipher.open(old_cipher.seal("s", context="c"), context="c") == "s"
    # Sessions are signed with the primary key's derivative and verified with each.
    assert ctx.signing_keys == tuple(
        sessions.derive_signing_key(parse_master_key(k)) for k in (new, TEST_MASTER_KEY)
    )


def test_a_policy_defaults_to_the_limits_design_md_documents() -> None:
    policy = Policy(resolver=StaticResolver())
    assert (policy.allow_http, policy.allow_private_targets) == (False, False)
    assert policy.retry == RetryPolicy.parse(DEFAULT_SCHEDULE)
    assert (policy.max_endpoints_per_tenant, policy.max_payload_bytes) == (10, 256 * 1024)
    assert (policy.api_rate_limit, policy.metrics_token) == (100.0, None)
