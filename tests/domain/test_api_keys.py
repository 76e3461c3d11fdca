from __future__ import annotations

from hookline.domain import api_keys
from hookline.domain.models import Role


def test_keys_carry_their_role_prefix_and_a_valid_checksum():
    for role, prefix in (
        (Role.ADMIN, "hl_admin_"),
        (Role.CI, "hl_ci_"),
        (Role.RUNTIME, "hl_rt_"),
    ):
        key = api_keys.generate(role)
        assert key.startswith(prefix)
        assert api_keys.role_of(key) is role
        assert api_keys.is_well_formed(key)


def test_a_typo_breaks_the_checksum():
    key = api_keys.generate(Role.CI)
    i = len("hl_ci_") + 5
    typo = key[:i] + ("A" if key[i] != "A" else "B") + key[i + 1 :]
    assert not api_keys.is_well_formed(typo)
    assert not api_keys.is_well_formed(key[:-1])


def test_only_a_sha256_is_kept_and_the_display_prefix_is_short():
    key = api_keys.generate(Role.ADMIN)
    digest = api_keys.hash_key(key)
    assert len(digest) == 64 and key not in digest
    assert api_keys.display_prefix(key) == key[: len("hl_admin_") + 4] + "…"
