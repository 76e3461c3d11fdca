"""Secrets at rest (DESIGN §7, issue 4): sealed with AES-GCM under the master key, never
in clear, re-encrypted by `hookline rotate-master-key`, the embedded key file private."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

import pytest
import standardwebhooks

from hookline.app import ConfigurationError, Runtime
from hookline.domain.encryption import key_id, new_master_key, parse_master_key
from hookline.settings import Settings, sqlite_path
from support.process import hookline_env, run

SEALED_COLUMNS = ("secret_sealed", "previous_secret_sealed", "auth_sealed")


def _sealed_key_ids(rows) -> list[str]:
    return [
        ep[column].split(":")[2]
        for ep in rows["endpoints"]
        for column in SEALED_COLUMNS
        if ep[column]
    ]


def _whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def test_the_database_holds_no_secret_in_clear(hookline, receivers, stored, db_url):
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    rx = await receivers()
    secret = _whsec()
    hex_secret = "migrated-" + secrets.token_hex(12)
    bearer = "bearer-" + secrets.token_hex(16)
    password = "password-" + secrets.token_hex(16)
    api_value = "apikey-" + secrets.token_hex(16)
    custom_value = "custom-" + secrets.token_hex(16)
    created = [
        await hookline.endpoint(
            tenant,
            rx.url,
            ["invoice.paid"],
            secret=secret,
            auth={"type": "bearer", "token": bearer},
        ),
        await hookline.endpoint(
            tenant,
            rx.url,
            ["invoice.paid"],
            secret=hex_secret,
            signature={"scheme": "hmac-sha256-hex", "header": "X-Sig", "prefix": "sha256="},
            auth={"type": "basic", "username": "svc", "password": password},
        ),
        await hookline.endpoint(
            tenant,
            rx.url,
            ["invoice.paid"],
            auth={"type": "api_key", "header": "X-Api-Key", "value": api_value},
        ),
        await hookline.endpoint(
            tenant,
            rx.url,
            ["invoice.paid"],
            auth={"type": "custom_header", "header": "X-Custom", "value": custom_value},
        ),
    ]
    rotated = await hookline.call(
        "POST", f"/v1/tenants/{tenant}/endpoints/{created[3]['id']}/rotate-secret", 200
    )
    keys = [
        (await hookline.call("POST", "/v1/api-keys", 201, json={"name": n, "role": n}))["key"]
        for n in ("ci", "runtime")
    ]
    msg = await hookline.publish(tenant, "invoice.paid", {"n": 1})
    final = await hookline.wait_final(tenant, msg["id"])
    assert {d["status"] for d in final["delivery_statuses"]} == {"delivered"}
    # The credentials really went out (so their absence below means something).
    sent = "\n".join(str(r.headers) for r in rx.requests)
    assert bearer in sent
    assert api_value in sent
    assert custom_value in sent

    in_clear = [
        secret,
        secret.removeprefix("whsec_"),
        hex_secret,
        bearer,
        password,
        base64.b64encode(f"svc:{password}".encode()).decode(),
        api_value,
        custom_value,
        created[0]["secret"],
        created[2]["secret"],
        created[3]["secret"],
        rotated["secret"],
        hookline.admin_key,
        *keys,
    ]
    rows = await stored()
    dump = repr(rows)
    assert [s for s in in_clear if s in dump] == []
    assert len(_sealed_key_ids(rows)) == 4 + 4 + 1  # 4 auths, 4 secrets, 1 previous secret
    for ep in rows["endpoints"]:
        assert all(ep[c] is None or ep[c].startswith("enc:v1:") for c in SEALED_COLUMNS)

    path = sqlite_path(db_url)
    if path is not None:  # the raw file too, with its write-ahead log
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert [s for s in in_clear if s.encode() in raw] == []


async def test_rotate_master_key_reencrypts_every_value(start, receivers, stored, db_url, tmp_path):
    key_a, key_b = new_master_key(), new_master_key()
    id_a, id_b = key_id(parse_master_key(key_a)), key_id(parse_master_key(key_b))
    rx = await receivers()
    hl = await start(secret_key=key_a)
    await hl.event_type("invoice.paid")
    tenant = (await hl.tenant())["id"]
    token = "token-" + secrets.token_hex(8)
    first = await hl.endpoint(
        tenant, rx.url, ["invoice.paid"], auth={"type": "bearer", "token": token}
    )
    for _ in range(3):  # more endpoints than one batch
        await hl.endpoint(tenant, rx.url, ["invoice.paid"], auth={"type": "bearer", "token": token})
    rotated = await hl.call(
        "POST", f"/v1/tenants/{tenant}/endpoints/{first['id']}/rotate-secret", 200
    )
    await hl.stop()
    before = await stored()
    assert set(_sealed_key_ids(before)) == {id_a}

    # Without the old key nothing opens: the command says which key is missing.
    only_b = hookline_env(db_url, HOOKLINE_SECRET_KEY=key_b)
    done = run(["rotate-master-key"], only_b, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Not finished" in done.stderr
    assert id_a in done.stderr
    assert await stored() == before

    b_over_a = hookline_env(db_url, HOOKLINE_SECRET_KEY=key_b, HOOKLINE_PREVIOUS_SECRET_KEYS=key_a)
    done = run(["rotate-master-key", "--batch-size", "2"], b_over_a, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Re-encrypted 9 values" in done.stderr
    assert set(_sealed_key_ids(await stored())) == {id_b}

    # Key A is gone; deliveries still sign (with both secrets in the grace period).
    hl = await start(secret_key=key_b, previous_secret_keys="", admin_key=hl.admin_key)
    msg = await hl.publish(tenant, "invoice.paid", {"n": 1})
    final = await hl.wait_final(tenant, msg["id"])
    assert {d["status"] for d in final["delivery_statuses"]} == {"delivered"}
    signed = [r for r in rx.requests if len(r.headers["webhook-signature"].split()) == 2]
    assert len(signed) == 1  # the endpoint with a rotated secret signs with both
    for secret in (first["secret"], rotated["secret"]):
        assert standardwebhooks.Webhook(secret).verify(signed[0].body, signed[0].headers)
    assert {r.headers["authorization"] for r in rx.requests} == {f"Bearer {token}"}


def test_embedded_mode_generates_a_private_key_file(tmp_path: Path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/data/hookline.db",
        data_dir=None,
        secret_key=None,
        previous_secret_keys="",
    )
    old_umask = os.umask(0)  # the mode must not depend on the umask
    try:
        first = Runtime.build(settings)
    finally:
        os.umask(old_umask)
    key_file = tmp_path / "data" / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    content = key_file.read_text()
    second = Runtime.build(settings)  # the next start reads the same key
    assert second.ctx.cipher.primary_key_id == first.ctx.cipher.primary_key_id
    assert key_file.read_text() == content


def test_postgresql_needs_a_configured_master_key():
    settings = Settings(database_url="postgresql://hookline@127.0.0.1/none", secret_key=None)
    with pytest.raises(ConfigurationError, match="HOOKLINE_SECRET_KEY"):
        Runtime.build(settings)
