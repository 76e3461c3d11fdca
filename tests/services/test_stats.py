"""services.stats: an endpoint's last 24 hours of attempts, success rate and latency."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.errors import ForeignTenant, NotFound
from hookline.domain.models import Role
from hookline.services import stats
from support.receiver import Receiver
from support.services import ADMIN, World, bound

Receivers = Callable[..., Awaitable[Receiver]]


async def test_an_endpoints_figures_count_its_own_attempts_of_the_last_hours(
    world: World, receivers: Receivers
) -> None:
    flaky = await receivers(statuses=[500, 200])
    fine = await receivers(statuses=[200])
    tenant = await world.tenant()
    ep = await world.endpoint(tenant, url=flaky.url)
    other = await world.endpoint(tenant, url=fine.url)
    published = [await world.publish(tenant) for _ in range(3)]
    await world.delivered(tenant, [d for p in published for d in p.delivery_ids])
    now = datetime.now(UTC)

    figures = await stats.endpoint_stats(
        world.ctx, bound(tenant, Role.RUNTIME), tenant=tenant.id, endpoint=ep.id, now=now
    )
    assert len(figures.hours) == stats.WINDOW_HOURS
    assert figures.hours[-1].hour == now.replace(minute=0, second=0, microsecond=0)
    # All in the current hour (or the one before, should the hour have just turned).
    busy = [h.figures for h in figures.hours if h.figures.attempts]
    assert all(h.figures.attempts == 0 for h in figures.hours[:-2])
    assert sum(f.attempts for f in busy) == 4 and sum(f.failed for f in busy) == 1
    assert all(f.p50_ms is not None and f.p95_ms is not None for f in busy)
    assert (figures.total.attempts, figures.total.success_rate) == (4, 0.75)
    # Seen from two days on, the same attempts are outside the window.
    later = await stats.endpoint_stats(
        world.ctx, ADMIN, tenant=tenant.id, endpoint=ep.id, now=now + timedelta(days=2)
    )
    assert later.total.attempts == 0 and later.total.success_rate is None

    rates = await stats.success_rates(
        world.ctx, ADMIN, tenant=tenant.id, endpoint_ids=[ep.id, other.id, "ep_none"], now=now
    )
    assert {k: (r.attempts, r.succeeded) for k, r in rates.items()} == {
        ep.id: (4, 3),
        other.id: (3, 3),
        "ep_none": (0, 0),
    }
    assert rates["ep_none"].rate is None


async def test_stats_stay_within_their_tenant(world: World) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    ep = await world.endpoint(a)
    with pytest.raises(NotFound):
        await stats.endpoint_stats(world.ctx, ADMIN, tenant=b.id, endpoint=ep.id)
    with pytest.raises(ForeignTenant):
        await stats.success_rates(world.ctx, bound(b), tenant=a.id, endpoint_ids=[ep.id])
    rates = await stats.success_rates(world.ctx, ADMIN, tenant=b.id, endpoint_ids=[ep.id])
    assert rates[ep.id].attempts == 0


def test_the_window_is_24_whole_hours_ending_with_the_current_one() -> None:
    since, until = stats.window_of(datetime(2026, 3, 1, 10, 42, 7, tzinfo=UTC))
    assert (since, until) == (
        datetime(2026, 2, 28, 11, tzinfo=UTC),
        datetime(2026, 3, 1, 11, tzinfo=UTC),
    )


def test_percentiles_weigh_each_sample() -> None:
    # 1 fast sample that stands for 9 attempts, 1 slow one that stands for 1.
    weighted = [(10.0, 9.0), (1000.0, 1.0)]
    assert stats.percentile(weighted, 0.5) == 10.0
    assert stats.percentile(weighted, 0.95) == 1000.0
    assert stats.percentile([(10.0, 1.0), (1000.0, 1.0)], 0.5) == 10.0
    assert stats.percentile([], 0.5) is None
