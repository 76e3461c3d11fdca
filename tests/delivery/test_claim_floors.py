"""Claim floors on their own, with a clock moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hookline.delivery.claim_floors import FLOOR_SECONDS, FLOOR_SLACK, Floors
from hookline.store.queue import Claimed

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def rows(*dues: float, now: float = 60.0) -> list[Claimed]:
    return [
        Claimed(
            id=f"dlv_{i}",
            message_id=f"msg_{i}",
            endpoint_id="ep_b",
            tenant_id="ten_x",
            event_type="t",
            attempt_count=0,
            lease_token="t" * 32,
            created_at=T0,
            due_at=T0 + timedelta(seconds=d),
            claimed_at=T0 + timedelta(seconds=now),
        )
        for i, d in enumerate(dues)
    ]


def test_a_full_claim_leaves_a_floor_at_its_newest_due_time():
    floors = Floors(Clock())
    floor = floors.after(rows(1, 3, 2), started_at=None, skip=["ep_slow"], found_all=True)
    assert floor is not None and floor.at == T0 + timedelta(seconds=3)
    floors.keep(floor, ended_before=0)
    assert floors.start(["ep_slow"]) == floor.at


def test_the_floor_stays_behind_the_claims_now():
    floors = Floors(Clock())
    floor = floors.after(rows(59.5, now=60.0), started_at=None, skip=[], found_all=True)
    assert floor is not None and floor.at == T0 + timedelta(seconds=60) - FLOOR_SLACK


def test_a_claim_that_did_not_find_all_it_asked_for_leaves_none():
    floors = Floors(Clock())
    assert floors.after(rows(1, 2), started_at=None, skip=[], found_all=False) is None


def test_a_floor_holds_only_while_its_endpoints_are_still_passed_over():
    floors = Floors(Clock())
    floors.keep(
        floors.after(rows(5), started_at=None, skip=["a", "b"], found_all=True), ended_before=0
    )
    assert floors.start(["a", "b", "c"]) is not None
    assert floors.start(["a"]) is None  # b may be taken now: walk from the head


def test_a_run_of_floors_lasts_at_most_its_time():
    clock = Clock()
    floors = Floors(clock)
    floors.keep(floors.after(rows(5), started_at=None, skip=[], found_all=True), ended_before=0)
    clock.now += FLOOR_SECONDS / 2
    start = floors.start([])
    assert start is not None
    # The run goes on from that floor: it keeps the time the run began.
    floors.keep(floors.after(rows(7), started_at=start, skip=[], found_all=True), ended_before=0)
    clock.now += FLOOR_SECONDS / 2 + 0.01
    assert floors.start([]) is None


def test_a_floor_ends_and_one_left_by_a_claim_that_ran_meanwhile_is_not_kept():
    floors = Floors(Clock())
    floors.keep(floors.after(rows(5), started_at=None, skip=[], found_all=True), ended_before=0)
    began = floors.ended
    late = floors.after(rows(6), started_at=None, skip=[], found_all=True)
    floors.end()  # a FIFO result written while that claim ran
    assert floors.start([]) is None
    floors.keep(late, ended_before=began)
    assert floors.start([]) is None
