"""One endpoint's share as a worker sees it: how many deliveries to keep, when a claim
should pass it over, and back-pressure's effect before the recorder writes it."""

from __future__ import annotations

from hookline.delivery.shares import AHEAD_SECONDS, Share


def share(**kw) -> Share:
    base = {"slots": 10, "limit": 10.0, "cap": 10, "batch_size": 100}
    base.update(kw)
    return Share(**base)


def test_until_an_attempt_ends_it_keeps_one_per_slot():
    s = share()
    assert s.room() == 10


def test_a_quick_endpoint_keeps_what_it_sends_in_a_short_while_besides():
    s = share(seconds=0.02)  # 10 slots at 20 ms: 500 a second
    assert s.room() == 10 + int(10 * AHEAD_SECONDS / 0.02)
    assert share(seconds=0.0001).room() == 10 + 100  # never more than a claim's worth


def test_a_slow_endpoint_keeps_about_one_per_slot():
    assert share(seconds=3.0).room() == 10
    assert share(slots=2, seconds=0.2).room() == 2


def test_what_is_held_here_counts():
    s = share(seconds=3.0, waiting=4, running=6)
    assert s.room() == 0
    assert s.full(now=0.0)


def test_it_is_not_full_while_it_could_take_more_slots():
    s = share(slots=2, seconds=3.0, running=2)
    assert not s.full(now=0.0)  # the limit (10) would give it more
    s.blocked_until = 5.0  # the others hold the rest: no more until then
    assert s.full(now=1.0)
    assert not s.full(now=6.0)


def test_usable_slots_stay_within_the_limit():
    s = share(limit=3.7)
    assert s.usable == 3
    assert share(limit=0.4).usable == 1  # back-pressure leaves one at least
    assert share(slots=0).usable == 0


def test_answers_move_the_limit_as_back_pressure_does():
    s = share()
    s.answered(overloaded=True, seconds=0.05)
    assert s.limit == 5.0 and s.usable == 5
    s.answered(overloaded=True, seconds=0.05)
    s.answered(overloaded=True, seconds=0.05)
    s.answered(overloaded=True, seconds=0.05)
    assert s.limit == 1.0  # never below one
    for _ in range(200):
        s.answered(overloaded=False, seconds=0.05)
    assert s.limit == 10.0  # and never past the cap
    s.answered(overloaded=None, seconds=0.05)  # a 500 says nothing about load
    assert s.limit == 10.0


def test_the_pace_is_an_average_of_the_attempts():
    s = share()
    s.answered(overloaded=None, seconds=1.0)
    assert s.seconds == 1.0
    s.answered(overloaded=None, seconds=0.0)
    assert 0.5 < s.seconds < 1.0
