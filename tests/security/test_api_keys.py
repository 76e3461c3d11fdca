"""API keys (DESIGN §5): a typo fails before any lookup, only a hash is stored, the hash is
compared in constant time, and revocation holds from the very next request."""

from __future__ import annotations

import hashlib
import hmac

from hookline.domain.api_keys import is_well_formed
from hookline.store import api_keys as key_store


def _typo(key: str) -> str:
    """The key with one character of its random part changed."""
    i = len(key) - 10
    return key[:i] + ("B" if key[i] != "B" else "C") + key[i + 1 :]


async def test_a_mistyped_key_fails_fast_without_a_lookup(hookline, monkeypatch):
    lookups: list[str] = []
    real_lookup = key_store.get_by_hash

    async def counting_lookup(conn, key_hash):
        lookups.append(key_hash)
        return await real_lookup(conn, key_hash)

    monkeypatch.setattr(key_store, "get_by_hash", counting_lookup)
    typo = _typo(hookline.admin_key)
    assert not is_well_formed(typo)
    async with hookline.as_key(typo) as client:
        resp = await client.get("/v1/event-types")
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["www-authenticate"] == "Bearer"
    assert "checksum" in resp.json()["detail"]
    assert lookups == []

    # A well-formed key that does not exist is looked up, and is just as unknown.
    async with hookline.as_key(hookline.admin_key.replace("hl_admin_", "hl_ci_")) as client:
        resp = await client.get("/v1/event-types")
    assert resp.status_code == 401
    assert len(lookups) == 1


async def test_only_a_hash_of_a_key_is_stored(hookline, stored):
    created = await hookline.call(
        "POST", "/v1/api-keys", 201, json={"name": "deploy", "role": "ci"}
    )
    key = created["key"]
    assert key.startswith("hl_ci_")
    assert is_well_formed(key)
    rows = {r["id"]: r for r in (await stored())["api_keys"]}
    row = rows[created["id"]]
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == created["prefix"]
    assert len(row["prefix"].rstrip("…")) <= len("hl_ci_") + 4
    assert all(key not in str(value) for r in rows.values() for value in r.values())
    listed = await hookline.call("GET", "/v1/api-keys", 200)
    assert key not in str(listed)
    assert all("key" not in k for k in listed["data"])


async def test_the_stored_hash_is_compared_in_constant_time(hookline, monkeypatch):
    compared: list[tuple[object, object]] = []
    real_compare = hmac.compare_digest

    def recording_compare(a, b):
        compared.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording_compare)
    await hookline.call("GET", "/v1/event-types", 200)
    digest = hashlib.sha256(hookline.admin_key.encode()).hexdigest()
    assert (digest, digest) in compared


async def test_revocation_holds_from_the_next_request(hookline):
    created = await hookline.call(
        "POST", "/v1/api-keys", 201, json={"name": "deploy", "role": "ci"}
    )
    async with hookline.as_key(created["key"]) as client:
        assert (await client.get("/v1/event-types")).status_code == 200
        await hookline.call("DELETE", f"/v1/api-keys/{created['id']}", (200, 204))
        resp = await client.get("/v1/event-types")
        assert resp.status_code == 401
        assert "revoked" in resp.json()["detail"]
        assert (await client.post("/v1/tenants", json={"name": "x"})).status_code == 401
