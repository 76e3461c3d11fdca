"""The claim planner on its own: shares, slots, floors and "covered", with a clock moved
by hand (no database, no socket, no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hookline.delivery.claim_floors import FLOOR_SECONDS, FLOOR_SLACK
from hookline.delivery.claim_plan import OTHERS_BACKOFF, ClaimPlanner
from hookline.delivery.shares import AHEAD_SECONDS
from hookline.store.queue import Claimed
from hookline.store.slots import Grant

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def planner(**kw) -> tuple[ClaimPlanner, Clock]:
    clock = Clock()
    kw.setdefault("max_held", 400)
    kw.setdefault("batch_size", 100)
    return ClaimPlanner(clock=clock, **kw), clock


_seq = iter(range(10**9))


def claimed(endpoint: str, n: int, *, due: datetime = T0, now: datetime | None = None):
    out = []
    for _ in range(n):
        i = next(_seq)
        out.append(
            Claimed(
                id=f"dlv_{i:026d}",
                message_id=f"msg_{i:026d}",
                endpoint_id=endpoint,
                tenant_id="ten_x",
                event_type="t",
                attempt_count=0,
                lease_token="t" * 32,
                created_at=due,
                due_at=due + timedelta(milliseconds=i % 1000),
                claimed_at=now or T0 + timedelta(seconds=5),
            )
        )
    return out


def claim(p: ClaimPlanner, rows, grants: dict[str, Grant], *, along: bool = False):
    """One claim through the planner, as `delivery.claims` runs it, committed."""
    request = p.request(along=along)
    assert request is not None
    rows = rows[: request.limit]  # a claim brings no more than it asks for
    wants = p.wants(rows)
    settled = p.settle(
        rows,
        {ep: g for ep, g in grants.items() if ep in wants},
        request,
        floors_ended=p.floors_ended(),
        wanted=wants,
    )
    p.commit(settled, along=along)
    return request, wants, settled


def send_all(p: ClaimPlanner, endpoint: str, n: int, seconds: float = 0.001) -> None:
    for _ in range(n):
        p.started(endpoint)
    for _ in range(n):
        p.finished(endpoint, overloaded=False, seconds=seconds)


def test_a_new_endpoint_asks_for_slots_for_what_it_brought_and_keeps_what_they_carry():
    p, _ = planner(batch_size=300)  # a claim of 30 for endpoints not seen yet
    rows = claimed("ep_a", 30)
    _, wants, settled = claim(p, rows, {"ep_a": Grant("ep_a", 10, 0, 10)})
    assert wants == {"ep_a": 30}  # the store clamps it to the limit
    # Nothing is known of its pace yet: one delivery per slot, the rest goes back.
    assert len(settled.keep) == 10 and len(settled.give_back) == 20
    assert p.share("ep_a").slots == 10 and p.held == 10


def test_a_quick_endpoint_keeps_what_it_sends_in_a_short_while_waiting():
    p, _ = planner()
    claim(p, claimed("ep_a", 10), {"ep_a": Grant("ep_a", 10, 0, 10)})
    send_all(p, "ep_a", 10, seconds=0.001)  # 1 ms answers: 10 slots send 10,000/s
    assert p.share("ep_a").room() == 10 + min(100, int(10 * AHEAD_SECONDS / 0.001))
    _, wants, settled = claim(p, claimed("ep_a", 100), {})
    assert wants == {}  # its slots are taken already
    assert len(settled.keep) == 100


def test_a_slow_endpoint_keeps_one_per_slot():
    p, _ = planner()
    claim(p, claimed("ep_slow", 5), {"ep_slow": Grant("ep_slow", 5, 0, 5)})
    send_all(p, "ep_slow", 5, seconds=2.0)
    assert p.share("ep_slow").room() == 5
    _, _, settled = claim(p, claimed("ep_slow", 20), {})
    assert len(settled.keep) == 5


def test_a_full_share_is_passed_over_and_freed_room_ends_that():
    p, _ = planner()
    claim(p, claimed("ep_a", 3), {"ep_a": Grant("ep_a", 3, 0, 3)})
    request = p.request()
    assert request is not None and request.skip == ["ep_a"]
    p.started("ep_a")
    p.finished("ep_a", overloaded=None, seconds=5.0)
    request = p.request()
    assert request is not None and request.skip == []


def test_it_asks_for_more_slots_only_when_it_could_use_them():
    p, _ = planner()
    claim(p, claimed("ep_a", 4), {"ep_a": Grant("ep_a", 4, 0, 10)})
    # Brought more: it may hold up to the limit.
    assert p.wants(claimed("ep_a", 3)) == {"ep_a": 7}
    claim(p, claimed("ep_a", 6), {"ep_a": Grant("ep_a", 10, 0, 10)})
    assert p.wants(claimed("ep_a", 5)) == {}  # at the limit: nothing to ask


def test_slots_the_others_hold_are_not_asked_for_again_at_once():
    p, clock = planner()
    rows = claimed("ep_a", 10)
    _, _, settled = claim(p, rows, {"ep_a": Grant("ep_a", 0, 10, 10)})
    assert settled.keep == [] and len(settled.give_back) == 10
    request = p.request()
    assert request is not None and "ep_a" in request.skip
    assert p.wants(claimed("ep_a", 1)) == {}
    clock.now += OTHERS_BACKOFF + 0.01
    request = p.request()
    assert request is not None and "ep_a" not in request.skip
    assert p.wants(claimed("ep_a", 1)) == {"ep_a": 1}


def test_a_lower_limit_makes_it_give_slots_back_and_use_fewer_at_once():
    p, _ = planner()
    claim(p, claimed("ep_a", 10), {"ep_a": Grant("ep_a", 10, 0, 10)})
    assert p.share("ep_a").usable == 10
    p.limits({"ep_a": 4.0})  # back-pressure, written by a recorder
    p.loaded("ep_a", cap=10, limit=4.0)
    assert p.share("ep_a").usable == 4
    assert p.wants(claimed("ep_a", 1)) == {"ep_a": 4}  # holds 10: gives 6 back


def test_overloads_shrink_what_may_be_sent_at_once_before_the_recorder_writes():
    p, _ = planner()
    claim(p, claimed("ep_a", 8), {"ep_a": Grant("ep_a", 8, 0, 8)})
    p.loaded("ep_a", cap=8, limit=None)
    for _ in range(8):
        p.started("ep_a")
    p.finished("ep_a", overloaded=True, seconds=0.01)
    assert p.share("ep_a").usable == 4
    p.finished("ep_a", overloaded=True, seconds=0.01)
    assert p.share("ep_a").usable == 2


def test_nothing_changes_before_the_claim_commits():
    p, _ = planner()
    request = p.request()
    assert request is not None
    rows = claimed("ep_a", 5)
    p.settle(
        rows,
        {"ep_a": Grant("ep_a", 5, 0, 5)},
        request,
        floors_ended=p.floors_ended(),
    )
    p.rolled_back()
    assert p.held == 0 and p.share("ep_a").slots == 0


def test_a_claim_asks_for_the_room_of_its_shares_and_a_few_for_endpoints_not_seen():
    p, _ = planner(batch_size=100)
    assert p.request().limit == 10  # nothing known: a tenth of a batch
    claim(p, claimed("ep_a", 10), {"ep_a": Grant("ep_a", 10, 0, 10)})
    send_all(p, "ep_a", 10, seconds=0.01)
    room = p.share("ep_a").room()
    assert p.request().limit == min(100, room + 10)


def test_a_full_claim_leaves_a_floor_behind_its_newest_due_and_its_now():
    p, _ = planner()
    claim(p, claimed("ep_slow", 1), {"ep_slow": Grant("ep_slow", 1, 0, 1)})
    assert p.request().limit == 10
    now = T0 + timedelta(seconds=30)
    rows = claimed("ep_b", 10, due=T0, now=now)
    _, _, settled = claim(p, rows, {"ep_b": Grant("ep_b", 10, 0, 10)})
    assert settled.full
    request = p.request()
    assert request is not None
    assert request.floor == min(max(r.due_at for r in rows), now - FLOOR_SLACK)


def test_a_floor_ends_when_what_it_passed_over_may_be_taken():
    p, _ = planner()
    claim(p, claimed("ep_slow", 1), {"ep_slow": Grant("ep_slow", 1, 0, 1)})
    claim(p, claimed("ep_b", 10), {"ep_b": Grant("ep_b", 10, 0, 10)})
    assert p.request().floor is not None
    p.started("ep_slow")  # the skipped endpoint's attempt ends: it has room again
    p.finished("ep_slow", overloaded=None, seconds=3.0)
    assert p.request().floor is None


def test_a_floor_ends_with_a_fifo_result_and_after_its_time():
    p, clock = planner()
    claim(p, claimed("ep_slow", 1), {"ep_slow": Grant("ep_slow", 1, 0, 1)})
    claim(p, claimed("ep_b", 10), {"ep_b": Grant("ep_b", 10, 0, 10)})
    assert p.request().floor is not None
    p.written("ep_f", retry_in=None, fifo=True)
    assert p.request().floor is None
    claim(p, claimed("ep_c", 10), {"ep_c": Grant("ep_c", 10, 0, 10)})
    assert p.request().floor is not None
    clock.now += FLOOR_SECONDS + 0.01
    assert p.request().floor is None


def test_a_claim_that_ran_while_floors_ended_leaves_none():
    p, _ = planner()
    claim(p, claimed("ep_slow", 1), {"ep_slow": Grant("ep_slow", 1, 0, 1)})
    request = p.request()
    rows = claimed("ep_b", 10)
    began = p.floors_ended()
    wants = p.wants(rows)
    settled = p.settle(
        rows,
        {"ep_b": Grant("ep_b", 10, 0, 10)},
        request,
        floors_ended=began,
        wanted=wants,
    )
    p.written("ep_f", retry_in=None, fifo=True)  # before the claim committed
    p.commit(settled)
    assert p.request().floor is None


def test_covered_while_publishes_claim_along_until_a_retry_comes_due():
    p, clock = planner(claims_along=True)
    claim(p, claimed("ep_a", 3), {"ep_a": Grant("ep_a", 3, 0, 3)})
    assert p.nothing_due()
    send_all(p, "ep_a", 3, seconds=3.0)
    p.written("ep_a", retry_in=5.0, fifo=False)
    assert not p.nothing_due()  # a result makes the next claim worth it
    claim(p, [], {})
    assert p.nothing_due()
    clock.now += 5.01
    assert not p.nothing_due()  # the retry is due


def test_not_covered_without_claims_along():
    p, _ = planner(claims_along=False)
    claim(p, [], {})
    assert not p.nothing_due()


def test_no_room_means_no_claim():
    p, _ = planner(max_held=5)
    claim(p, claimed("ep_a", 5), {"ep_a": Grant("ep_a", 5, 0, 10)})
    assert p.request() is None
    p.started("ep_a")
    p.finished("ep_a", overloaded=False, seconds=0.5)
    assert p.request().limit == 1


def test_idle_endpoints_are_let_go_after_a_while():
    p, clock = planner()
    claim(p, claimed("ep_a", 2), {"ep_a": Grant("ep_a", 2, 0, 10)})
    send_all(p, "ep_a", 2)
    assert p.idle(1.0) == []
    clock.now += 1.0
    assert p.idle(1.0) == ["ep_a"]
    p.lost(["ep_a"])
    assert "ep_a" not in p.shares
