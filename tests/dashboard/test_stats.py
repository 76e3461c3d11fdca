"""GET .../endpoints/{endpoint}/stats and what the charts are drawn from, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.world import World
from hookline.dashboard import charts
from hookline.domain.ids import new_id
from hookline.domain.models import Attempt, AttemptStatus, Principal, Role
from hookline.services import stats
from hookline.store import attempts as attempt_store

ADMIN = Principal("key_test", Role.ADMIN, None)


async def test_stats_of_a_failing_and_a_healthy_endpoint(world: World) -> None:
    a, b = world.tenant_a["id"], world.tenant_b["id"]
    failing = await world.hl.call(
        "GET", f"/v1/tenants/{a}/endpoints/{world.endpoint_a['id']}/stats", 200
    )
    assert failing["endpoint_id"] == world.endpoint_a["id"]
    assert len(failing["hours"]) == 24
    since, until = (datetime.fromisoformat(failing[k]) for k in ("since", "until"))
    assert until - since == timedelta(hours=24)
    assert since <= datetime.now(UTC) - timedelta(hours=23) < until
    starts = [datetime.fromisoformat(h["hour"]) for h in failing["hours"]]
    assert starts == [since + timedelta(hours=i) for i in range(24)]
    total = failing["total"]
    assert total["attempts"] == 6  # two messages, three attempts each
    assert total["failed"] == 6
    assert total["success_rate"] == 0.0
    assert isinstance(total["p50_ms"], int)
    assert total["p95_ms"] >= total["p50_ms"]
    assert sum(h["attempts"] for h in failing["hours"]) == 6
    empty = [h for h in failing["hours"] if not h["attempts"]]
    assert all(h["success_rate"] is None and h["p50_ms"] is None for h in empty)

    healthy = await world.hl.call(
        "GET", f"/v1/tenants/{b}/endpoints/globex-crm/stats", 200
    )  # a uid works too
    assert healthy["total"]["attempts"] == 2
    assert healthy["total"]["success_rate"] == 1.0


async def test_stats_keep_to_the_tenant(world: World) -> None:
    a, b = world.tenant_a["id"], world.tenant_b["id"]
    ep_b = world.endpoint_b["id"]
    resp = await world.hl.client.get(f"/v1/tenants/{a}/endpoints/{ep_b}/stats")
    assert resp.status_code == 404
    key = await world.key("runtime", a)
    async with world.hl.as_key(key["key"]) as c:
        assert (await c.get(f"/v1/tenants/{b}/endpoints/{ep_b}/stats")).status_code == 403
        own = await c.get(f"/v1/tenants/{a}/endpoints/{world.endpoint_a['id']}/stats")
        assert own.status_code == 200, "reading stats needs no more than a runtime key"


async def test_hours_and_percentiles_from_known_attempts(world: World) -> None:
    """100 attempts of 1..100 ms two hours ago (every fifth failed), 10 of 1000 ms now."""
    runtime = world.hl.runtime
    delivery = world.deliveries_b[0]
    tenant, ep = world.tenant_b["id"], world.endpoint_b["id"]
    msg = (await world.hl.call("GET", f"/v1/tenants/{tenant}/deliveries/{delivery}", 200))[
        "message_id"
    ]
    now = datetime.now(UTC)
    two_hours_ago = now.replace(minute=30, second=0, microsecond=0) - timedelta(hours=2)

    def attempt(n: int, at: datetime, duration: int, ok: bool) -> Attempt:
        return Attempt(
            id=new_id("att"),
            delivery_id=delivery,
            endpoint_id=ep,
            message_id=msg,
            tenant_id=tenant,
            event_type="contact.created",
            attempt_number=n,
            url=world.endpoint_b["url"],
            started_at=at,
            duration_ms=duration,
            response_code=200 if ok else 500,
            response_body=None,
            error_message=None,
            status=AttemptStatus.SUCCEEDED if ok else AttemptStatus.FAILED,
            request_headers={},
        )

    rows = [attempt(i, two_hours_ago, i, i % 5 != 0) for i in range(1, 101)]
    rows += [attempt(200 + i, now - timedelta(seconds=1), 1000, True) for i in range(10)]
    rows.append(attempt(999, now - timedelta(hours=30), 5, True))  # outside the window
    async with runtime.db.write() as conn:
        await attempt_store.insert_attempts(conn, rows)

    body = await world.hl.call("GET", f"/v1/tenants/{tenant}/endpoints/{ep}/stats", 200)
    by_hour = {datetime.fromisoformat(h["hour"]): h for h in body["hours"]}
    old = by_hour[two_hours_ago.replace(minute=0)]
    assert old["attempts"] == 100
    assert old["succeeded"] == 80
    assert old["success_rate"] == 0.8
    assert old["p50_ms"] == 50
    assert old["p95_ms"] == 95
    current = by_hour[now.replace(minute=0, second=0, microsecond=0)]
    assert current["attempts"] >= 10
    assert current["p95_ms"] == 1000
    total = body["total"]
    assert total["attempts"] == 112  # with the two real deliveries' attempts
    assert total["p50_ms"] <= 60
    assert total["p95_ms"] == 1000  # 12 of 112 attempts took 1000 ms or so

    # The charts say the same in words, for those who cannot see them.
    figures = await stats.endpoint_stats(runtime.ctx, ADMIN, tenant=tenant, endpoint=ep, now=now)
    svg = str(charts.attempts_chart(figures))
    assert 'role="img"' in svg
    assert "112 attempts in the last 24 hours: 92 succeeded and 20 failed" in svg
    assert "the busiest hour had 100" in svg
    latency = str(charts.latency_chart(figures))
    assert "95th percentile 1000 ms" in latency
    rate = str(charts.success_rate_chart(figures))
    assert "82.1 % of attempts succeeded" in rate


@pytest.mark.parametrize(
    ("samples", "q", "expected"),
    [
        ([], 0.5, None),
        ([(7.0, 1.0)], 0.95, 7.0),
        ([(float(v), 1.0) for v in range(1, 101)], 0.5, 50.0),
        ([(float(v), 1.0) for v in range(1, 101)], 0.95, 95.0),
        ([(float(v), 1.0) for v in range(1, 101)], 1.0, 100.0),
        # One sampled value standing for nine unsampled ones outweighs the rest.
        ([(10.0, 1.0), (20.0, 1.0), (30.0, 9.0)], 0.5, 30.0),
        ([(10.0, 5.0), (20.0, 1.0), (30.0, 1.0)], 0.5, 10.0),
    ],
)
def test_percentile(samples: list[tuple[float, float]], q: float, expected: float | None) -> None:
    assert stats.percentile(samples, q) == expected
