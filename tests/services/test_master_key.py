"""services.master_key: every sealed value re-sealed under the primary master key."""

from __future__ import annotations

from hookline.domain.encryption import new_master_key
from hookline.domain.models import AuthType, EndpointAuth
from hookline.services import endpoints, master_key
from support.harness import TEST_MASTER_KEY
from support.services import ADMIN, World, build_runtime


async def test_rotation_reseals_every_value_so_the_old_key_can_go(
    world: World, db_url: str
) -> None:
    tenant = await world.tenant()
    made = [
        await world.endpoint(tenant, auth=EndpointAuth(AuthType.BEARER, {"token": f"t{i}"}))
        for i in range(3)
    ]
    secrets = {
        ep.id: await endpoints.reveal_secret(world.ctx, ADMIN, tenant=tenant.id, endpoint=ep.id)
        for ep in made
    }
    new = new_master_key()
    only_new = await build_runtime(db_url, secret_key=new)
    both = await build_runtime(db_url, secret_key=new, previous_secret_keys=TEST_MASTER_KEY)
    try:
        before = await master_key.rotate(only_new.ctx)
        assert before.rewritten == 0 and not before.complete
        assert before.unreadable == {world.ctx.cipher.primary_key_id: 6}  # 3 secrets, 3 tokens

        report = await master_key.rotate(both.ctx, batch_size=4)  # more than one batch
        assert (report.key_id, report.rewritten, report.already_current) == (
            both.ctx.cipher.primary_key_id,
            6,
            0,
        )
        assert report.complete
        again = await master_key.rotate(only_new.ctx)
        assert (again.rewritten, again.already_current, again.complete) == (0, 6, True)
        for i, ep in enumerate(made):
            revealed = await endpoints.reveal_secret(
                only_new.ctx, ADMIN, tenant=tenant.id, endpoint=ep.id
            )
            assert revealed == secrets[ep.id]
            stored = await endpoints.get(only_new.ctx, ADMIN, tenant=tenant.id, endpoint=ep.id)
            assert stored.auth.fields == {"token": f"t{i}"}
    finally:
        await only_new.close()
        await both.close()
