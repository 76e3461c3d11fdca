"""The garbage collector's settings for the long-running processes (`gc_tuning`): less
often, never never."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from hookline import gc_tuning


@pytest.fixture
def restored_collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle(freed: list[int]) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    weakref.finalize(a, freed.append, 1)


def test_cycles_are_still_collected_without_anyone_asking(restored_collector: None) -> None:
    gc_tuning.settle()
    assert gc.get_threshold() == (
        gc_tuning.YOUNG_THRESHOLD,
        gc_tuning.MIDDLE_EVERY,
        gc_tuning.OLD_EVERY,
    )
    freed: list[int] = []
    _cycle(freed)
    assert freed == []  # unreachable, but not yet collected
    keep = []
    # Containers allocated (and still alive) are what the young threshold counts; two
    # thresholds' worth is bounded and certain to start a pass.
    for i in range(2 * gc_tuning.YOUNG_THRESHOLD):
        keep.append([i])
        if freed:
            break
    assert freed == [1]
    assert len(keep) > gc_tuning.YOUNG_THRESHOLD // 2  # it waited: not the default 700


def test_what_starting_up_left_alive_is_frozen_and_garbage_is_not(
    restored_collector: None,
) -> None:
    freed: list[int] = []
    _cycle(freed)
    alive = Node()
    gc_tuning.settle()
    assert freed == [1]  # startup's garbage was collected first, not frozen
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(alive)
    assert not any(o is alive for o in gc.get_objects())  # no generation walks it again
