"""services.sessions: signed, expiring dashboard tokens whose key is checked every time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hookline.domain.encryption import new_master_key, parse_master_key
from hookline.domain.errors import Unauthorized
from hookline.domain.models import Principal, Role
from hookline.services import api_keys, sessions
from hookline.services.context import Context
from hookline.services.sessions import InvalidToken, SessionKind
from support.services import ADMIN, World, unopened_context


@pytest.fixture
def keys_ctx(tmp_path: Path) -> Context:
    return unopened_context(tmp_path)


def _with_keys(ctx: Context, *master_keys: str) -> Context:
    keys = tuple(sessions.derive_signing_key(parse_master_key(k)) for k in master_keys)
    return replace(ctx, signing_keys=keys)


def test_a_token_is_good_only_for_its_purpose_unaltered_and_in_time(keys_ctx: Context) -> None:
    ctx = keys_ctx
    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    token = sessions.sign(ctx, "session", {"k": "key_1", "exp": exp})
    assert sessions.verify(ctx, "session", token)["k"] == "key_1"
    body, _, mac = token.partition(".")
    for bad in (
        token + "x",
        sessions.sign(ctx, "other", {"k": "key_1", "exp": exp}),  # made for another use
        body.replace(body[2], "A" if body[2] != "A" else "B", 1) + "." + mac,
        body,
    ):
        with pytest.raises(InvalidToken) as caught:
            sessions.verify(ctx, "session", bad)
        assert not caught.value.expired
    with pytest.raises(InvalidToken) as caught:
        sessions.verify(ctx, "session", token, now=datetime.now(UTC) + timedelta(minutes=6))
    assert caught.value.expired
    with pytest.raises(InvalidToken):  # a token with no expiry is never made here
        sessions.verify(ctx, "session", sessions.sign(ctx, "session", {"k": "key_1"}))


def test_tokens_of_a_previous_master_key_verify_until_it_is_dropped(keys_ctx: Context) -> None:
    old, new = new_master_key(), new_master_key()
    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    token = sessions.sign(_with_keys(keys_ctx, old), "session", {"exp": exp})
    sessions.verify(_with_keys(keys_ctx, new, old), "session", token)
    with pytest.raises(InvalidToken):
        sessions.verify(_with_keys(keys_ctx, new), "session", token)
    assert sessions.derive_signing_key(parse_master_key(old)) != parse_master_key(old)


async def test_a_session_resumes_as_its_key_until_the_key_is_revoked(world: World) -> None:
    made = await api_keys.create(world.ctx, ADMIN, name="ops", role=Role.CI)
    issued = await sessions.sign_in(world.ctx, f"  {made.secret}\n")
    assert issued.session.kind is SessionKind.KEY
    resumed = await sessions.resume(world.ctx, issued.token)
    assert resumed.principal == Principal(made.key.id, Role.CI, None)
    assert resumed.nonce == issued.session.nonce
    with pytest.raises(Unauthorized, match="expired"):
        await sessions.resume(world.ctx, issued.token, now=datetime.now(UTC) + timedelta(hours=9))
    await api_keys.revoke(world.ctx, ADMIN, made.key.id)
    with pytest.raises(Unauthorized, match="revoked"):
        await sessions.resume(world.ctx, issued.token)
    with pytest.raises(Unauthorized):
        await sessions.sign_in(world.ctx, made.secret)
    with pytest.raises(Unauthorized, match="Sign in"):
        await sessions.resume(world.ctx, None)


async def test_a_portal_session_holds_one_tenant_with_the_portal_role(world: World) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    operator = await api_keys.create(world.ctx, ADMIN, name="op", role=Role.ADMIN)
    a_key = await api_keys.create(world.ctx, ADMIN, name="a", role=Role.ADMIN, tenant=a.id)
    reader = await api_keys.create(world.ctx, ADMIN, name="r", role=Role.RUNTIME)

    def portal(key_id: str, tenant_id: str) -> str:
        principal = Principal(key_id, Role.ADMIN, tenant_id)
        return sessions.issue(world.ctx, principal, kind=SessionKind.PORTAL).token

    resumed = await sessions.resume(world.ctx, portal(operator.key.id, b.id))
    assert resumed.principal == Principal(operator.key.id, sessions.PORTAL_ROLE, b.id)
    assert (
        await sessions.resume(world.ctx, portal(a_key.key.id, a.id))
    ).principal.tenant_id == a.id
    for key_id, tenant_id in ((a_key.key.id, b.id), (reader.key.id, a.id)):
        with pytest.raises(Unauthorized, match="portal session"):
            await sessions.resume(world.ctx, portal(key_id, tenant_id))


def test_csrf_tokens_are_bound_to_their_nonce(keys_ctx: Context) -> None:
    nonce = sessions.new_nonce()
    token = sessions.csrf_token(keys_ctx, nonce)
    assert sessions.csrf_valid(keys_ctx, nonce, token)
    assert not sessions.csrf_valid(keys_ctx, sessions.new_nonce(), token)
    assert not sessions.csrf_valid(keys_ctx, nonce, None)
    assert not sessions.csrf_valid(keys_ctx, nonce, "!!not base64!!")
    assert not sessions.csrf_valid(_with_keys(keys_ctx, new_master_key()), nonce, token)
