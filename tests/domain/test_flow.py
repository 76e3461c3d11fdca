from __future__ import annotations

from hookline.domain.flow import Aimd, is_overload


def test_overload_halves_down_to_one_and_successes_grow_back_to_the_cap():
    aimd = Aimd(10)
    assert aimd.allowed == 10
    for expected in (5, 2, 1, 1):
        aimd.overload()
        assert aimd.allowed == expected
    for _ in range(200):
        aimd.success()
    assert aimd.allowed == 10


def test_resize_keeps_a_reduced_limit_under_the_new_cap():
    aimd = Aimd(10)
    aimd.overload()
    aimd.resize(3)
    assert aimd.allowed == 3
    aimd.resize(20)
    assert aimd.allowed == 3  # reached again by successes, not at once


def test_which_answers_mean_overload():
    assert all(is_overload(c) for c in (429, 502, 503, 504))
    assert is_overload(None, timed_out=True)
    assert not any(is_overload(c) for c in (200, 400, 404, 500, None))
